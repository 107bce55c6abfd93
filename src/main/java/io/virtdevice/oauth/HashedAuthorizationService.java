package io.virtdevice.oauth;

import io.virtdevice.oauth.AuthorizationRepository.AuthorizationRow;
import io.virtdevice.oauth.AuthorizationRepository.GrantRef;
import io.virtdevice.oauth.AuthorizationRepository.TokenRow;
import io.virtdevice.activity.ActivityAction;
import io.virtdevice.activity.ActivityLog;
import io.virtdevice.platform.crypto.Tokens;
import io.virtdevice.platform.security.Authorities;
import io.virtdevice.platform.security.CurrentUser;
import io.virtdevice.platform.tenancy.TenantContext;
import io.virtdevice.platform.tenancy.TenantScope;
import java.io.Serial;
import java.io.Serializable;
import java.security.Principal;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.OAuth2AccessToken;
import org.springframework.security.oauth2.core.OAuth2AuthenticationException;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.OAuth2ErrorCodes;
import org.springframework.security.oauth2.core.OAuth2RefreshToken;
import org.springframework.security.oauth2.core.endpoint.OAuth2AuthorizationRequest;
import org.springframework.security.oauth2.core.endpoint.OAuth2ParameterNames;
import org.springframework.security.oauth2.core.endpoint.PkceParameterNames;
import org.springframework.security.oauth2.server.authorization.OAuth2Authorization;
import org.springframework.security.oauth2.server.authorization.OAuth2AuthorizationCode;
import org.springframework.security.oauth2.server.authorization.OAuth2AuthorizationService;
import org.springframework.security.oauth2.server.authorization.OAuth2TokenType;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClient;
import org.springframework.security.oauth2.server.authorization.settings.AuthorizationServerSettings;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Spring Authorization Server's grant storage over our own tables, holding only SHA-256 hashes of codes,
 * consent-step secrets and tokens (D-09, D-10). A grant is found by the hash of the secret presented;
 * secrets of the same grant that were not presented are unknown to us, so the loaded
 * {@link OAuth2Authorization} carries a placeholder for them and {@link #save} writes only what changed.
 *
 * <p>{@code save} also enforces what SAS leaves to storage: a code is consumed atomically (two concurrent
 * redemptions: one wins, and the grant is revoked, RFC 6749 §4.1.2); refresh-token rotation moves the
 * family's head under a row lock, and a stale head means reuse, which revokes the whole family for web and
 * mobile (RFC 9700 §4.14.2) while Alexa and IFTTT may still use the previous token for the grace period.
 */
@Component
class HashedAuthorizationService implements OAuth2AuthorizationService {

    /** How long the consent page may stay open. */
    static final Duration CONSENT_WINDOW = Duration.ofMinutes(15);

    private static final Logger log = LoggerFactory.getLogger(HashedAuthorizationService.class);
    private static final String LOADED = HashedAuthorizationService.class.getName() + ".loaded";
    // No issued secret can start with '#': ours are prefix + base64url.
    private static final String UNKNOWN = "#unknown:";

    /**
     * What was read from the database, so that save can tell new secrets from loaded ones.
     *
     * @param raceParentId a web or mobile refresh token rotated moments ago, presented again within the race
     *     window: the refresh gets a sibling of the pair that replaced it
     */
    record Loaded(UUID headTokenId, boolean codeConsumed, Set<String> knownValues, UUID raceParentId)
            implements Serializable {
        @Serial
        private static final long serialVersionUID = 1L;
    }

    /** The secrets a grant is found by, as {@code app.find_oauth_grant} names them. */
    private enum Secret {
        CODE("code", OAuth2ParameterNames.CODE),
        STATE("state", OAuth2ParameterNames.STATE),
        ACCESS("access", OAuth2TokenType.ACCESS_TOKEN.getValue()),
        REFRESH("refresh", OAuth2TokenType.REFRESH_TOKEN.getValue());

        final String kind;
        private final String tokenType;

        Secret(String kind, String tokenType) {
            this.kind = kind;
            this.tokenType = tokenType;
        }

        /** From SAS's token type, or, when it gives none (revocation, introspection), from our prefixes. */
        static Secret of(String token, OAuth2TokenType type) {
            if (type == null) {
                return token.startsWith(OpaqueTokenGenerator.ACCESS_PREFIX) ? ACCESS
                        : token.startsWith(OpaqueTokenGenerator.REFRESH_PREFIX) ? REFRESH : null;
            }
            for (Secret secret : values()) {
                if (secret.tokenType.equals(type.getValue())) {
                    return secret;
                }
            }
            return null;
        }
    }

    private enum Outcome {
        SAVED,
        CODE_REPLAYED,
        REFRESH_REUSED,
        REVOKED
    }

    private final AuthorizationRepository repository;
    private final OAuthClientRepository clients;
    private final OAuthClients configuredClients;
    private final OAuthAccessTokenAuthenticator authenticator;
    private final AuthorizationServerSettings serverSettings;
    private final ActivityLog activity;
    private final TransactionTemplate tx;

    HashedAuthorizationService(AuthorizationRepository repository, OAuthClientRepository clients,
            OAuthClients configuredClients, OAuthAccessTokenAuthenticator authenticator,
            AuthorizationServerSettings serverSettings, ActivityLog activity, PlatformTransactionManager transactions) {
        this.repository = repository;
        this.clients = clients;
        this.configuredClients = configuredClients;
        this.authenticator = authenticator;
        this.serverSettings = serverSettings;
        this.activity = activity;
        this.tx = new TransactionTemplate(transactions);
    }

    // ------------------------------------------------------------------------------------------------
    // save / remove
    // ------------------------------------------------------------------------------------------------

    @Override
    public void save(OAuth2Authorization authorization) {
        TenantContext owner = owner(authorization);
        UUID id = UUID.fromString(authorization.getId());
        Outcome outcome = TenantScope.call(owner, () -> tx.execute(s -> persist(id, owner, authorization)));
        switch (outcome) {
            case SAVED -> {}
            case REVOKED -> throw invalidGrant();
            case CODE_REPLAYED, REFRESH_REUSED -> {
                revokeFamily(owner, id);
                log.warn("Revoked OAuth grant {}: {}", id, outcome == Outcome.CODE_REPLAYED
                        ? "its authorization code was redeemed twice"
                        : "a rotated refresh token was used again");
                throw invalidGrant();
            }
        }
    }

    @Override
    public void remove(OAuth2Authorization authorization) {
        TenantContext owner = owner(authorization);
        UUID id = UUID.fromString(authorization.getId());
        TenantScope.run(owner, () -> tx.executeWithoutResult(s -> repository.delete(id)));
        authenticator.evictFamily(id);
    }

    private Outcome persist(UUID id, TenantContext owner, OAuth2Authorization authorization) {
        Loaded loaded = authorization.getAttribute(LOADED);
        OAuth2Authorization.Token<OAuth2AuthorizationCode> code = authorization.getToken(OAuth2AuthorizationCode.class);
        OAuth2Authorization.Token<OAuth2AccessToken> access = authorization.getAccessToken();
        OAuth2Authorization.Token<OAuth2RefreshToken> refresh = authorization.getRefreshToken();
        if (loaded == null) {
            insertNew(id, owner, authorization, code);
            return Outcome.SAVED;
        }
        if (code != null && isNew(loaded, code.getToken().getTokenValue())) {
            // the consent page was approved: the code replaces the consent-step secret
            OAuth2AuthorizationCode value = code.getToken();
            return repository.issueCode(id, Tokens.sha256(value.getTokenValue()), value.getIssuedAt(),
                    value.getExpiresAt(), authorization.getAuthorizedScopes()) ? Outcome.SAVED : Outcome.REVOKED;
        }
        if (access != null && isNew(loaded, access.getToken().getTokenValue())) {
            boolean codeRedemption = code != null && !loaded.codeConsumed() && code.isInvalidated();
            return codeRedemption
                    ? redeemCode(id, owner, authorization, access, refresh)
                    : rotate(id, owner, authorization, loaded, access, refresh);
        }
        if ((access != null && access.isInvalidated()) || (refresh != null && refresh.isInvalidated())) {
            // revocation (RFC 7009), or tokens withdrawn because their code was replayed
            repository.revokeFamily(id);
            authenticator.evictFamily(id);
            return Outcome.SAVED;
        }
        if (code != null && code.isInvalidated() && !loaded.codeConsumed()) {
            // presented by the wrong client: the code is burnt
            repository.consumeCode(id);
        }
        return Outcome.SAVED;
    }

    private void insertNew(UUID id, TenantContext owner, OAuth2Authorization authorization,
            OAuth2Authorization.Token<OAuth2AuthorizationCode> code) {
        OAuth2AuthorizationRequest request = authorization.getAttribute(OAuth2AuthorizationRequest.class.getName());
        if (request == null) {
            throw new IllegalStateException("an authorization without its request cannot be stored");
        }
        String state = authorization.getAttribute(OAuth2ParameterNames.STATE);
        OAuth2AuthorizationCode value = code == null ? null : code.getToken();
        Object challenge = request.getAdditionalParameters().get(PkceParameterNames.CODE_CHALLENGE);
        Object method = request.getAdditionalParameters().get(PkceParameterNames.CODE_CHALLENGE_METHOD);
        repository.insert(new AuthorizationRepository.NewAuthorization(
                id, owner.tenantId(), owner.userId(), UUID.fromString(authorization.getRegisteredClientId()),
                clientType(authorization.getRegisteredClientId()),
                request.getRedirectUri(),
                request.getScopes(),
                value == null ? null : authorization.getAuthorizedScopes(),
                value == null ? request.getState() : null,
                challenge instanceof String s ? s : null,
                challenge instanceof String && method instanceof String m ? m : null,
                state == null ? null : Tokens.sha256(state),
                value == null ? null : Tokens.sha256(value.getTokenValue()),
                value == null ? null : value.getIssuedAt(),
                value == null ? null : value.getExpiresAt()));
    }

    private Outcome redeemCode(UUID id, TenantContext owner, OAuth2Authorization authorization,
            OAuth2Authorization.Token<OAuth2AccessToken> access, OAuth2Authorization.Token<OAuth2RefreshToken> refresh) {
        if (!repository.consumeCode(id)) {
            return Outcome.CODE_REPLAYED;
        }
        insertTokens(id, null, owner, authorization, access, refresh);
        RegisteredClient client = clients.findById(authorization.getRegisteredClientId());
        activity.record(owner, ActivityAction.OAUTH_APP_CONNECTED, "web", null, Map.of(
                "clientId", client == null ? "" : client.getClientId(),
                "name", client == null ? "" : client.getClientName(),
                "scopes", List.copyOf(access.getToken().getScopes())));
        return Outcome.SAVED;
    }

    private Outcome rotate(UUID id, TenantContext owner, OAuth2Authorization authorization, Loaded loaded,
            OAuth2Authorization.Token<OAuth2AccessToken> access, OAuth2Authorization.Token<OAuth2RefreshToken> refresh) {
        AuthorizationRow grant = repository.lockAuthorization(id).orElse(null);
        if (grant == null || grant.revokedAt() != null) {
            return Outcome.REVOKED;
        }
        if (refresh == null || !isNew(loaded, refresh.getToken().getTokenValue())) {
            throw new IllegalStateException("refresh tokens are always rotated");
        }
        UUID presented = loaded.headTokenId();
        boolean live = presented != null
                && repository.token(presented).filter(t -> t.rotatedAt() == null && t.revokedAt() == null).isPresent();
        if (live) {
            repository.rotateLive(id);
            insertTokens(id, presented, owner, authorization, access, refresh);
            return Outcome.SAVED;
        }
        if (grant.clientType().hasRefreshGracePeriod()) {
            // Alexa/IFTTT presented a token rotated within the grace period: the new pair follows the head
            Optional<TokenRow> head = repository.head(id);
            if (head.isEmpty()) {
                return Outcome.REVOKED;
            }
            repository.rotateLive(id);
            insertTokens(id, head.get().id(), owner, authorization, access, refresh);
            return Outcome.SAVED;
        }
        // Another refresh rotated this token since we read it (or just before): a race of the app's own
        // requests while the window is open, reuse otherwise.
        UUID parent = presented != null ? presented : loaded.raceParentId();
        TokenRow parentRow = parent == null ? null : repository.token(parent).orElse(null);
        if (parentRow != null && withinRaceWindow(grant, parentRow)) {
            insertTokens(id, parent, owner, authorization, access, refresh);
            return Outcome.SAVED;
        }
        return Outcome.REFRESH_REUSED;
    }

    private void insertTokens(UUID family, UUID parent, TenantContext owner, OAuth2Authorization authorization,
            OAuth2Authorization.Token<OAuth2AccessToken> access, OAuth2Authorization.Token<OAuth2RefreshToken> refresh) {
        OAuth2AccessToken accessToken = access.getToken();
        OAuth2RefreshToken refreshToken = refresh == null ? null : refresh.getToken();
        repository.insert(new AuthorizationRepository.NewTokens(
                family, parent, owner.tenantId(), owner.userId(), UUID.fromString(authorization.getRegisteredClientId()),
                Tokens.sha256(accessToken.getTokenValue()), accessToken.getExpiresAt(),
                refreshToken == null ? null : Tokens.sha256(refreshToken.getTokenValue()),
                refreshToken == null ? null : refreshToken.getExpiresAt(),
                accessToken.getScopes()));
    }

    // ------------------------------------------------------------------------------------------------
    // find
    // ------------------------------------------------------------------------------------------------

    @Override
    public OAuth2Authorization findById(String id) {
        // SAS's authorization-code and refresh flows never look grants up by id; allow it only for the
        // signed-in owner of the grant.
        Authentication auth = SecurityContextHolder.getContext().getAuthentication();
        if (auth == null || !(auth.getPrincipal() instanceof CurrentUser user)) {
            return null;
        }
        UUID uuid;
        try {
            uuid = UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            return null;
        }
        GrantRef ref = new GrantRef(uuid, user.tenantId(), user.userId(), null);
        return TenantScope.call(user.context(), () -> tx.execute(s -> load(ref, null, null)));
    }

    @Override
    public OAuth2Authorization findByToken(String token, OAuth2TokenType tokenType) {
        if (token == null || token.isBlank() || token.length() > 512) {
            return null;
        }
        Secret kind = Secret.of(token, tokenType);
        if (kind == null) {
            return null;
        }
        Optional<GrantRef> ref = TenantScope.callWithoutContext(
                () -> tx.execute(s -> repository.findGrant(kind.kind, Tokens.sha256(token))));
        if (ref.isEmpty()) {
            return null;
        }
        TenantContext owner = new TenantContext(ref.get().tenantId(), ref.get().userId());
        return TenantScope.call(owner, () -> tx.execute(s -> load(ref.get(), kind, token)));
    }

    /**
     * After a refused refresh: was the presented token one that was already rotated away (and, for Alexa
     * and IFTTT, outside the grace period)? Then it was stolen or replayed, and its whole family is revoked
     * (RFC 9700 §4.14.2). Runs in its own transaction, so the revocation stands although the request fails.
     */
    void detectRefreshTokenReuse(String refreshToken) {
        if (refreshToken == null || refreshToken.isBlank() || refreshToken.length() > 512) {
            return;
        }
        Optional<GrantRef> ref = TenantScope.callWithoutContext(
                () -> tx.execute(s -> repository.findGrant(Secret.REFRESH.kind, Tokens.sha256(refreshToken))));
        if (ref.isEmpty()) {
            return;
        }
        TenantContext owner = new TenantContext(ref.get().tenantId(), ref.get().userId());
        boolean revoked = TenantScope.call(owner, () -> tx.execute(s -> {
            TokenRow row = repository.token(ref.get().tokenId()).orElse(null);
            AuthorizationRow grant = repository.authorization(ref.get().authorizationId()).orElse(null);
            if (row == null || grant == null || row.rotatedAt() == null || row.revokedAt() != null
                    || withinGracePeriod(grant, row) || withinRaceWindow(grant, row)) {
                return false;
            }
            return repository.revokeFamily(grant.id());
        }));
        if (revoked) {
            authenticator.evictFamily(ref.get().authorizationId());
            log.warn("Revoked OAuth grant {}: a rotated refresh token was used again", ref.get().authorizationId());
        }
    }

    private OAuth2Authorization load(GrantRef ref, Secret kind, String presented) {
        AuthorizationRow row = repository.authorization(ref.authorizationId()).orElse(null);
        if (row == null) {
            return null;
        }
        RegisteredClient client = clients.findById(row.clientId().toString());
        if (client == null) {
            return null;
        }
        Set<String> known = new HashSet<>();
        OAuth2Authorization.Builder builder = OAuth2Authorization.withRegisteredClient(client)
                .id(row.id().toString())
                .principalName(row.userId().toString())
                .authorizationGrantType(AuthorizationGrantType.AUTHORIZATION_CODE)
                .authorizedScopes(row.authorizedScopes() == null ? Set.of() : row.authorizedScopes())
                .attribute(Principal.class.getName(), principal(row))
                .attribute(OAuth2AuthorizationRequest.class.getName(), request(client, row));
        if (kind == Secret.STATE) {
            boolean pending = row.codeIssuedAt() == null && row.revokedAt() == null
                    && row.createdAt().plus(CONSENT_WINDOW).isAfter(Instant.now());
            if (!pending) {
                return null;
            }
            builder.attribute(OAuth2ParameterNames.STATE, presented);
            known.add(presented);
        }
        if (row.codeIssuedAt() != null) {
            String value = kind == Secret.CODE ? presented : UNKNOWN + "code";
            known.add(value);
            boolean consumed = row.codeConsumedAt() != null || row.revokedAt() != null;
            builder.token(new OAuth2AuthorizationCode(value, issuedBefore(row.codeIssuedAt(), row.codeExpiresAt()),
                            row.codeExpiresAt()),
                    metadata -> metadata.put(OAuth2Authorization.Token.INVALIDATED_METADATA_NAME, consumed));
        }
        TokenRow tokens = kind == Secret.ACCESS ? repository.token(ref.tokenId()).orElse(null)
                : kind == Secret.REFRESH ? refreshTarget(row, ref.tokenId())
                : repository.latest(row.id()).orElse(null);
        if (kind == Secret.REFRESH && tokens == null) {
            return null;
        }
        UUID head = null;
        UUID raceParent = null;
        if (tokens != null) {
            boolean revoked = tokens.revokedAt() != null || row.revokedAt() != null;
            head = tokens.rotatedAt() == null && !revoked ? tokens.id() : null;
            raceParent = kind == Secret.REFRESH && tokens.rotatedAt() != null && !revoked
                    && !row.clientType().hasRefreshGracePeriod() ? tokens.id() : null;
            String accessValue = kind == Secret.ACCESS ? presented : UNKNOWN + "access:" + tokens.id();
            String refreshValue = kind == Secret.REFRESH ? presented : UNKNOWN + "refresh:" + tokens.id();
            known.add(accessValue);
            known.add(refreshValue);
            builder.token(new OAuth2AccessToken(OAuth2AccessToken.TokenType.BEARER, accessValue,
                            issuedBefore(tokens.createdAt(), tokens.accessExpiresAt()), tokens.accessExpiresAt(),
                            tokens.scopes()),
                    metadata -> metadata.put(OAuth2Authorization.Token.INVALIDATED_METADATA_NAME, revoked));
            // a rotated (not revoked) token still counts as a refresh token of this grant for revocation
            boolean refreshInvalid = revoked || (tokens.rotatedAt() != null && kind != Secret.REFRESH);
            builder.token(new OAuth2RefreshToken(refreshValue, issuedBefore(tokens.createdAt(), tokens.refreshExpiresAt()),
                            tokens.refreshExpiresAt()),
                    metadata -> metadata.put(OAuth2Authorization.Token.INVALIDATED_METADATA_NAME, refreshInvalid));
        }
        boolean codeConsumed = row.codeConsumedAt() != null || row.revokedAt() != null;
        builder.attribute(LOADED, new Loaded(head, codeConsumed, Set.copyOf(known), raceParent));
        return builder.build();
    }

    /**
     * The pair a presented refresh token stands for: its own while it is the family's head; the current head
     * while it was rotated within Alexa's or IFTTT's grace period; its own while a web or mobile token was
     * rotated within the race window (the refresh then issues a sibling); none otherwise (revoked, or reused).
     */
    private TokenRow refreshTarget(AuthorizationRow grant, UUID tokenId) {
        TokenRow row = repository.token(tokenId).orElse(null);
        if (row == null || row.revokedAt() != null || grant.revokedAt() != null) {
            return null;
        }
        if (row.rotatedAt() == null) {
            return row;
        }
        if (withinGracePeriod(grant, row)) {
            return repository.head(grant.id()).orElse(null);
        }
        return withinRaceWindow(grant, row) ? row : null;
    }

    /**
     * Two refreshes of the web or mobile app raced (RFC 9700 §4.14.2 allows answering both): the token was
     * rotated less than {@code virtdevice.oauth.refresh-race-window} ago and nothing was rotated since (every
     * live pair of the grant is its child).
     */
    private boolean withinRaceWindow(AuthorizationRow grant, TokenRow row) {
        return !grant.clientType().hasRefreshGracePeriod() && row.rotatedAt() != null && row.revokedAt() == null
                && grant.revokedAt() == null
                && row.rotatedAt().plus(configuredClients.refreshRaceWindow()).isAfter(Instant.now())
                && repository.onlyChildrenLive(grant.id(), row.id());
    }

    private boolean withinGracePeriod(AuthorizationRow grant, TokenRow row) {
        return grant.clientType().hasRefreshGracePeriod() && row.rotatedAt() != null
                && row.rotatedAt().plus(configuredClients.refreshGracePeriod()).isAfter(Instant.now());
    }

    private OAuth2AuthorizationRequest request(RegisteredClient client, AuthorizationRow row) {
        Map<String, Object> additional = new LinkedHashMap<>();
        if (row.codeChallenge() != null) {
            additional.put(PkceParameterNames.CODE_CHALLENGE, row.codeChallenge());
            additional.put(PkceParameterNames.CODE_CHALLENGE_METHOD, row.codeChallengeMethod());
        }
        return OAuth2AuthorizationRequest.authorizationCode()
                .authorizationUri(serverSettings.getIssuer() + serverSettings.getAuthorizationEndpoint())
                .clientId(client.getClientId())
                .redirectUri(row.redirectUri())
                .scopes(row.requestedScopes())
                .state(row.clientState())
                .additionalParameters(additional)
                .build();
    }

    private Authentication principal(AuthorizationRow row) {
        String email = repository.email(row.userId()).orElse(null);
        CurrentUser user = new CurrentUser(row.userId(), row.tenantId(), email, CurrentUser.AuthMethod.SESSION,
                Set.copyOf(OAuthClients.SCOPES), null);
        return UsernamePasswordAuthenticationToken.authenticated(user, null, Authorities.of(user));
    }

    // ------------------------------------------------------------------------------------------------

    private void revokeFamily(TenantContext owner, UUID id) {
        TenantScope.run(owner, () -> tx.executeWithoutResult(s -> repository.revokeFamily(id)));
        authenticator.evictFamily(id);
    }

    private OAuthClientType clientType(String registeredClientId) {
        RegisteredClient client = clients.findById(registeredClientId);
        return Optional.ofNullable(client).flatMap(clients::definition)
                .orElseThrow(() -> new OAuth2AuthenticationException(OAuth2ErrorCodes.INVALID_CLIENT))
                .type();
    }

    private static TenantContext owner(OAuth2Authorization authorization) {
        Authentication principal = authorization.getAttribute(Principal.class.getName());
        if (principal == null || !(principal.getPrincipal() instanceof CurrentUser user)) {
            throw new IllegalStateException("an OAuth grant must belong to a signed-in user");
        }
        return user.context();
    }

    /** SAS insists that a token expires after it was issued; a row edited by hand must not break loading. */
    private static Instant issuedBefore(Instant issuedAt, Instant expiresAt) {
        return expiresAt != null && !expiresAt.isAfter(issuedAt) ? expiresAt.minusMillis(1) : issuedAt;
    }

    private static boolean isNew(Loaded loaded, String value) {
        return !value.startsWith(UNKNOWN) && !loaded.knownValues().contains(value);
    }

    private static OAuth2AuthenticationException invalidGrant() {
        return new OAuth2AuthenticationException(new OAuth2Error(OAuth2ErrorCodes.INVALID_GRANT));
    }
}
