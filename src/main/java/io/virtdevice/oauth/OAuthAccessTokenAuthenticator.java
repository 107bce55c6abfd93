package io.virtdevice.oauth;

import io.virtdevice.platform.crypto.Tokens;
import io.virtdevice.platform.security.BearerAuthenticator;
import io.virtdevice.platform.security.CurrentUser;
import io.virtdevice.platform.tenancy.TenantScope;
import java.sql.Array;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Accepts OAuth access tokens ({@code Authorization: Bearer vda_...}) wherever API keys are accepted, as a
 * {@link CurrentUser} with method OAUTH and the token's scopes. One definer-function call
 * ({@code app.resolve_oauth_access_token}) resolves a token; the answer (also "no such token") is cached per
 * token hash for {@code virtdevice.oauth.token-cache-ttl} (5 s), never beyond the token's expiry. A grant
 * revoked through this instance is evicted at once; one revoked on another instance stops working within
 * the TTL.
 */
@Component
class OAuthAccessTokenAuthenticator implements BearerAuthenticator {

    // Bounds memory under a flood of random tokens (each of which is a cached miss).
    private static final int MAX_ENTRIES = 10_000;

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

    private record Cached(Optional<Resolved> token, long expiresAtNanos) {}

    private final Map<String, Cached> cache = new ConcurrentHashMap<>();
    private final OAuthClients clients;
    private final JdbcClient jdbc;
    private final TransactionTemplate tx;
    private final long ttlNanos;

    OAuthAccessTokenAuthenticator(OAuthClients clients, OAuthSettings settings, JdbcClient jdbc,
            PlatformTransactionManager transactions) {
        this.clients = clients;
        this.jdbc = jdbc;
        this.tx = new TransactionTemplate(transactions);
        this.ttlNanos = settings.tokenCacheTtl().toNanos();
    }

    @Override
    public boolean supports(String token) {
        return token.startsWith(OpaqueTokenGenerator.ACCESS_PREFIX);
    }

    @Override
    public Optional<CurrentUser> authenticate(String token) {
        return resolve(token).filter(t -> !t.expired()).map(Resolved::user);
    }

    /** The token's owner and client, also when it has expired; empty when unknown or revoked. */
    Optional<Resolved> resolve(String token) {
        if (!supports(token) || token.length() > 512) {
            return Optional.empty();
        }
        byte[] hash = Tokens.sha256(token);
        String key = HexFormat.of().formatHex(hash);
        long now = System.nanoTime();
        Cached cached = cache.get(key);
        if (cached != null && now - cached.expiresAtNanos() < 0) {
            return cached.token();
        }
        Optional<Resolved> resolved = lookup(hash);
        long until = now + ttlNanos;
        if (resolved.isPresent()) {
            long left = Math.max(0, resolved.get().expiresAt().toEpochMilli() - System.currentTimeMillis());
            until = now + Math.min(ttlNanos, left * 1_000_000L);
        }
        if (cache.size() >= MAX_ENTRIES) {
            cache.values().removeIf(c -> now - c.expiresAtNanos() >= 0);
            if (cache.size() >= MAX_ENTRIES) {
                cache.clear();
            }
        }
        if (ttlNanos > 0) {
            cache.put(key, new Cached(resolved, until));
        }
        return resolved;
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
                        r.tokenId()),
                r.authorizationId(), r.clientId(), client.type(), r.expiresAt())));
    }

    private record Row(UUID tokenId, UUID authorizationId, UUID userId, UUID tenantId, String email, String clientId,
            Set<String> scopes, Instant expiresAt) {}

    /**
     * Forgets every cached token of a grant once the running transaction commits (at once outside one), so
     * a revocation through this instance takes effect immediately.
     */
    void evictFamily(UUID authorizationId) {
        afterCommit(() -> cache.values()
                .removeIf(c -> c.token().map(t -> authorizationId.equals(t.authorizationId())).orElse(false)));
    }

    /** As {@link #evictFamily}, for every cached token of a user (after a bulk revocation). */
    void evictUser(UUID userId) {
        afterCommit(() -> cache.values().removeIf(c -> c.token().map(t -> userId.equals(t.user().userId())).orElse(false)));
    }

    private static void afterCommit(Runnable eviction) {
        if (!TransactionSynchronizationManager.isSynchronizationActive()) {
            eviction.run();
            return;
        }
        TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
            @Override
            public void afterCommit() {
                eviction.run();
            }
        });
    }

    void clear() {
        cache.clear();
    }

    private static Set<String> scopes(Array array) throws SQLException {
        return array == null ? Set.of() : Set.copyOf(List.of((String[]) array.getArray()));
    }
}
