package io.virtdevice.oauth;

import io.virtdevice.accounts.PasswordChanged;
import io.virtdevice.activity.ActivityAction;
import io.virtdevice.activity.ActivityLog;
import io.virtdevice.platform.crypto.Tokens;
import io.virtdevice.platform.security.CurrentUser;
import io.virtdevice.platform.tenancy.TenantContext;
import io.virtdevice.platform.tenancy.TenantScope;
import io.virtdevice.platform.web.ApiProblem;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.springframework.context.event.EventListener;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * The OAuth module's API: the apps a user has connected (and disconnecting one), revoking grants in bulk,
 * and resolving access tokens for the protocol endpoints (Alexa, IFTTT) that take them outside the
 * {@code Authorization} header. The protocol itself is Spring Authorization Server's
 * ({@link AuthorizationServerConfiguration}).
 */
@Service
public class OAuthManagement {

    /** An access token's owner and client, for protocol endpoints that must tell expired from invalid. */
    public record AccessToken(CurrentUser user, String clientId, OAuthClientType clientType, boolean expired) {}

    private final AuthorizationRepository repository;
    private final OAuthClientRepository clients;
    private final OAuthAccessTokenAuthenticator authenticator;
    private final ActivityLog activity;
    private final OAuthClients configuredClients;

    OAuthManagement(AuthorizationRepository repository, OAuthClientRepository clients,
            OAuthAccessTokenAuthenticator authenticator, ActivityLog activity, OAuthClients configuredClients) {
        this.configuredClients = configuredClients;
        this.repository = repository;
        this.clients = clients;
        this.authenticator = authenticator;
        this.activity = activity;
    }

    /** The apps the signed-in user has live tokens for, oldest link first. */
    @Transactional(readOnly = true)
    public List<ConnectedApp> connectedApps(CurrentUser user) {
        return repository.connected(user.userId()).stream()
                .map(row -> {
                    RegisteredClient client = clients.findById(row.clientId().toString());
                    return new ConnectedApp(client == null ? "(removed)" : client.getClientId(),
                            client == null ? row.clientType().code() : client.getClientName(), row.clientType().code(),
                            row.scopes().stream().sorted().toList(), row.linkedAt(), row.lastUsedAt());
                })
                .toList();
    }

    /**
     * Disconnects an app: revokes every grant and token it holds for the user and forgets the remembered
     * consent, so linking again asks again.
     *
     * @throws ApiProblem 404 when the user has no live grant for that client
     */
    @Transactional
    public void disconnect(CurrentUser user, String clientId) {
        RegisteredClient client = clients.findByClientId(clientId);
        if (client == null) {
            throw ApiProblem.notFound("Connected app");
        }
        UUID id = UUID.fromString(client.getId());
        boolean connected = repository.connected(user.userId()).stream().anyMatch(app -> app.clientId().equals(id));
        boolean forgotten = repository.deleteConsent(user.userId(), id);
        if (!connected && !forgotten) {
            throw ApiProblem.notFound("Connected app");
        }
        // every live grant goes, including codes not yet redeemed and consent pages still open
        List<UUID> families = repository.liveFamilies(user.userId(), id);
        families.forEach(repository::revokeFamily);
        activity.record(ActivityAction.OAUTH_APP_DISCONNECTED, user.source(), null,
                Map.of("clientId", client.getClientId(), "name", client.getClientName()));
        families.forEach(authenticator::evictFamily);
    }

    /**
     * Revokes the user's grants of the given client types (refresh and access tokens alike), inside the
     * caller's transaction and tenant context.
     *
     * @return how many grants were revoked
     */
    @Transactional(propagation = Propagation.MANDATORY)
    public int revokeGrants(UUID userId, Collection<OAuthClientType> types) {
        List<UUID> families = repository.liveFamilies(userId, types);
        families.forEach(repository::revokeFamily);
        families.forEach(authenticator::evictFamily);
        return families.size();
    }

    /**
     * A password change or reset ends the web and mobile apps' refresh tokens (RFC 9700 §4.14.2): whoever
     * knew the old password may have linked them. Alexa and IFTTT stay linked; the account page can
     * disconnect them.
     */
    @EventListener
    void on(PasswordChanged event) {
        revokeGrants(event.userId(), EnumSet.of(OAuthClientType.WEB, OAuthClientType.MOBILE));
    }

    /**
     * Issues an access token (no refresh token) of a configured client to the context user without the
     * browser flow: IFTTT's {@code test/setup} hands its endpoint tests a token of a real test user. The
     * grant shows among the user's connected apps and can be disconnected like any other.
     *
     * @return the token; empty when the client is not configured
     */
    @Transactional
    public Optional<String> issueAccessToken(String clientId, Duration lifetime) {
        RegisteredClient client = clients.findByClientId(clientId);
        if (client == null) {
            return Optional.empty();
        }
        TenantContext owner = TenantScope.current()
                .orElseThrow(() -> new IllegalStateException("issuing a token needs a tenant context"));
        OAuthClientType type = configuredClients.find(clientId).map(OAuthClients.Definition::type)
                .orElseThrow(() -> new IllegalStateException("no client definition for " + clientId));
        UUID grant = UUID.randomUUID();
        UUID clientUuid = UUID.fromString(client.getId());
        Set<String> scopes = Set.copyOf(client.getScopes());
        repository.insert(new AuthorizationRepository.NewAuthorization(grant, owner.tenantId(), owner.userId(),
                clientUuid, type, null, scopes, scopes, null, null, null, null, null, null, null));
        String token = Tokens.generate(OpaqueTokenGenerator.ACCESS_PREFIX);
        repository.insert(new AuthorizationRepository.NewTokens(grant, null, owner.tenantId(), owner.userId(),
                clientUuid, Tokens.sha256(token), Instant.now().plus(lifetime), null, null, scopes));
        return Optional.of(token);
    }

    /** Resolves an access token presented outside the Authorization header (Alexa directives). */
    public Optional<AccessToken> accessToken(String token) {
        return authenticator.resolve(token)
                .map(t -> new AccessToken(t.user(), t.clientId(), t.clientType(), t.expired()));
    }
}
