package io.virtdevice.oauth;

import io.virtdevice.platform.crypto.Tokens;
import io.virtdevice.platform.security.BearerAuthenticator;
import io.virtdevice.platform.security.CredentialRevoked;
import io.virtdevice.platform.security.CurrentUser;
import io.virtdevice.platform.security.RevocationListener;
import io.virtdevice.platform.security.SecuritySettings;
import io.virtdevice.platform.security.TokenCache;
import io.virtdevice.platform.tenancy.TenantScope;
import java.sql.Array;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Accepts OAuth access tokens ({@code Authorization: Bearer vda_...}) as a {@link CurrentUser} with method
 * OAUTH, the token's scopes, and the surface of its client: the web and mobile apps' tokens work on the REST
 * API, Alexa's only on {@code /alexa/**}, IFTTT's only on {@code /ifttt/**}. One definer-function call
 * ({@code app.resolve_oauth_access_token}) resolves a token; the answer is cached per token hash
 * ({@link TokenCache}) for {@code virtdevice.oauth.token-cache-ttl} (5 s), never beyond the token's expiry, and
 * "no such token" for {@code virtdevice.security.negative-token-cache-ttl}. A revoked grant is evicted at once
 * on every instance ({@link RevocationListener}, relayed by the events bus).
 */
@Component
class OAuthAccessTokenAuthenticator implements BearerAuthenticator, RevocationListener {

    private static final String RESOLVE = """
            select token_id, authorization_id, user_id, tenant_id, email, client_id, scopes, expires_at
              from app.resolve_oauth_access_token(:hash)
            """;

    /** A live or expired (but not revoked) access token. */
    record Resolved(CurrentUser user, UUID authorizationId, String clientId, OAuthClientType clientType,
            Instant expiresAt) {

        boolean expired() {
            return !expiresAt.isAfter(Instant.now());
        }
    }

    private final TokenCache<Resolved> cache;
    private final OAuthClients clients;
    private final JdbcClient jdbc;
    private final TransactionTemplate tx;
    private final ApplicationEventPublisher events;

    OAuthAccessTokenAuthenticator(OAuthClients clients, OAuthSettings settings, SecuritySettings security,
            JdbcClient jdbc, PlatformTransactionManager transactions, ApplicationEventPublisher events) {
        this.clients = clients;
        this.jdbc = jdbc;
        this.tx = new TransactionTemplate(transactions);
        this.events = events;
        long ttlNanos = settings.tokenCacheTtl().toNanos();
        long negativeNanos = security.negativeTokenCacheTtl().toNanos();
        // a live token: until the TTL, never past its expiry; an expired one is remembered like an unknown one
        this.cache = new TokenCache<>(security.tokenCacheSize(), security.negativeTokenCacheTtl(), token -> {
            long left = Math.max(0, token.expiresAt().toEpochMilli() - System.currentTimeMillis()) * 1_000_000L;
            return left == 0 ? negativeNanos : Math.min(ttlNanos, left);
        });
    }

    @Override
    public boolean supports(String token) {
        return token.startsWith(OpaqueTokenGenerator.ACCESS_PREFIX);
    }

    @Override
    public Optional<CurrentUser> authenticate(String token) {
        return resolve(token).filter(t -> !t.expired()).map(Resolved::user);
    }

    @Override
    public boolean needsLookup(String token) {
        return cache.missing(key(token));
    }

    @Override
    public boolean expired(String token) {
        return resolve(token).map(Resolved::expired).orElse(false);
    }

    /** The token's owner and client, also when it has expired; empty when unknown or revoked. */
    Optional<Resolved> resolve(String token) {
        if (!supports(token) || token.length() > 512) {
            return Optional.empty();
        }
        byte[] hash = Tokens.sha256(token);
        return cache.get(HexFormat.of().formatHex(hash), () -> lookup(hash));
    }

    private static String key(String token) {
        return HexFormat.of().formatHex(Tokens.sha256(token));
    }

    /** The uncached path: one transaction, one definer-function call. */
    Optional<Resolved> lookup(byte[] hash) {
        Optional<Row> row = TenantScope.callWithoutContext(() -> tx.execute(s -> jdbc.sql(RESOLVE)
                .param("hash", hash)
                .query((rs, i) -> new Row(rs.getObject("token_id", UUID.class),
                        rs.getObject("authorization_id", UUID.class), rs.getObject("user_id", UUID.class),
                        rs.getObject("tenant_id", UUID.class), rs.getString("email"), rs.getString("client_id"),
                        scopes(rs.getArray("scopes")), rs.getObject("expires_at", OffsetDateTime.class).toInstant()))
                .optional()));
        // a token of a client this instance does not serve (any more) is not accepted
        return row.flatMap(r -> clients.find(r.clientId()).map(client -> new Resolved(
                new CurrentUser(r.userId(), r.tenantId(), r.email(), CurrentUser.AuthMethod.OAUTH, r.scopes(),
                        r.tokenId(), surface(client.type()), r.clientId(), r.authorizationId()),
                r.authorizationId(), r.clientId(), client.type(), r.expiresAt())));
    }

    private record Row(UUID tokenId, UUID authorizationId, UUID userId, UUID tenantId, String email, String clientId,
            Set<String> scopes, Instant expiresAt) {}

    /**
     * Revokes the grant's tokens everywhere once the running transaction commits (at once outside one): this
     * and every other instance evict them and close their live streams ({@link CredentialRevoked}).
     */
    void evictFamily(UUID authorizationId) {
        events.publishEvent(CredentialRevoked.oauthGrant(authorizationId));
    }

    @Override
    public void revoked(CredentialRevoked revocation) {
        cache.evictIf(token -> revocation.covers(token.user()));
    }

    @Override
    public void forgetCached() {
        cache.clear();
    }

    void clear() {
        cache.clear();
    }

    /** Where a client's tokens work: Alexa's and IFTTT's only on their own endpoints. */
    static CurrentUser.Surface surface(OAuthClientType type) {
        return switch (type) {
            case ALEXA -> CurrentUser.Surface.ALEXA;
            case IFTTT -> CurrentUser.Surface.IFTTT;
            case WEB, MOBILE -> CurrentUser.Surface.API;
        };
    }

    private static Set<String> scopes(Array array) throws SQLException {
        return array == null ? Set.of() : Set.copyOf(List.of((String[]) array.getArray()));
    }
}
