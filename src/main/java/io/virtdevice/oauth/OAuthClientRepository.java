package io.virtdevice.oauth;

import io.virtdevice.platform.tenancy.TenantScope;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClient;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClientRepository;
import org.springframework.security.oauth2.server.authorization.settings.ClientSettings;
import org.springframework.security.oauth2.server.authorization.settings.OAuth2TokenFormat;
import org.springframework.security.oauth2.server.authorization.settings.TokenSettings;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The clients as Spring Authorization Server sees them: this instance's configuration ({@link OAuthClients})
 * joined with the database row (its id, which grants and tokens reference, and the secret's SHA-256, which
 * the rotation command may have set). Read through definer functions: the app role has no grant on
 * {@code oauth_clients}. A client missing from this instance's configuration is unknown here.
 */
@Component
class OAuthClientRepository implements RegisteredClientRepository {

    /** Codes live at most this long (RFC 9700: short-lived; the database refuses anything above 5 minutes). */
    static final Duration CODE_LIFETIME = Duration.ofMinutes(5);

    private static final Logger log = LoggerFactory.getLogger(OAuthClientRepository.class);

    private static final String BY_CLIENT_ID = """
            select id, client_id, client_secret_hash, type from app.oauth_client(:clientId)
            """;

    private static final String BY_ID = """
            select id, client_id, client_secret_hash, type from app.oauth_client_by_id(:id)
            """;

    private record Row(UUID id, String clientId, byte[] secretHash, OAuthClientType type) {}

    private final OAuthClients clients;
    private final JdbcClient jdbc;
    private final TransactionTemplate tx;

    OAuthClientRepository(OAuthClients clients, JdbcClient jdbc, PlatformTransactionManager transactions) {
        this.clients = clients;
        this.jdbc = jdbc;
        this.tx = new TransactionTemplate(transactions);
        this.tx.setReadOnly(true);
    }

    @Override
    public void save(RegisteredClient registeredClient) {
        throw new UnsupportedOperationException("OAuth clients come from configuration (virtdevice.oauth.clients)");
    }

    @Override
    public RegisteredClient findById(String id) {
        UUID uuid;
        try {
            uuid = UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            return null;
        }
        return load(BY_ID, "id", uuid).orElse(null);
    }

    @Override
    public RegisteredClient findByClientId(String clientId) {
        if (clientId == null || !clients.serves(clientId)) {
            return null;
        }
        return load(BY_CLIENT_ID, "clientId", clientId).orElse(null);
    }

    /** The configured client behind a registered client (by the database id SAS hands around). */
    Optional<OAuthClients.Definition> definition(RegisteredClient client) {
        return clients.find(client.getClientId());
    }

    private Optional<RegisteredClient> load(String sql, String param, Object value) {
        Optional<Row> row = TenantScope.callWithoutContext(() -> tx.execute(s -> jdbc.sql(sql)
                .param(param, value)
                .query((rs, i) -> new Row(rs.getObject("id", UUID.class), rs.getString("client_id"),
                        rs.getBytes("client_secret_hash"), OAuthClientType.of(rs.getString("type"))))
                .optional()));
        return row.flatMap(r -> clients.find(r.clientId()).flatMap(definition -> {
            if (definition.type() != r.type()) {
                log.warn("OAuth client '{}' is registered as {} but configured as {}", r.clientId(), r.type(),
                        definition.type());
                return Optional.empty();
            }
            return Optional.of(registeredClient(r, definition));
        }));
    }

    private static RegisteredClient registeredClient(Row row, OAuthClients.Definition client) {
        boolean publicClient = client.type().isPublic();
        return RegisteredClient.withId(row.id().toString())
                .clientId(client.clientId())
                .clientName(client.name())
                // the hex SHA-256 of the secret; ClientSecretHash compares it in constant time
                .clientSecret(publicClient || row.secretHash() == null ? null : HexFormat.of().formatHex(row.secretHash()))
                .clientAuthenticationMethods(methods -> {
                    if (publicClient) {
                        methods.add(ClientAuthenticationMethod.NONE);
                    } else {
                        methods.add(ClientAuthenticationMethod.CLIENT_SECRET_BASIC);
                        methods.add(ClientAuthenticationMethod.CLIENT_SECRET_POST);
                    }
                })
                .authorizationGrantType(AuthorizationGrantType.AUTHORIZATION_CODE)
                .authorizationGrantType(AuthorizationGrantType.REFRESH_TOKEN)
                .redirectUris(uris -> uris.addAll(client.redirectUris()))
                .scopes(scopes -> scopes.addAll(client.scopes()))
                .clientSettings(ClientSettings.builder()
                        .requireProofKey(client.requirePkce())
                        .requireAuthorizationConsent(true)
                        .build())
                .tokenSettings(TokenSettings.builder()
                        .authorizationCodeTimeToLive(CODE_LIFETIME)
                        .accessTokenTimeToLive(client.accessTokenLifetime())
                        .accessTokenFormat(OAuth2TokenFormat.REFERENCE)
                        .reuseRefreshTokens(false)
                        // only informative: OpaqueTokenGenerator leaves Alexa's and IFTTT's without expiry
                        .refreshTokenTimeToLive(client.refreshTokenLifetime() == null
                                ? Duration.ofDays(36500)
                                : client.refreshTokenLifetime())
                        .build())
                .build();
    }
}
