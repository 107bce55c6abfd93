package io.virtdevice.oauth;

import io.virtdevice.platform.crypto.Tokens;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.concurrent.atomic.AtomicReference;
import org.flywaydb.core.api.callback.Callback;
import org.flywaydb.core.api.callback.Context;
import org.flywaydb.core.api.callback.Event;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.stereotype.Component;

/**
 * Registers the configured clients in {@code oauth_clients} right after the migrations, on the migration
 * connection, i.e. as the owner role: the application role has no grant on that table at all (D-12), so
 * even SQL injection could not change a redirect URI. A configured secret is stored as its SHA-256 only.
 *
 * <p>It is also the secret-rotation command: started with {@code --virtdevice.oauth.rotate-secret=<client-id>},
 * it gives that confidential client a new random secret (the old one stops working at once) and prints it
 * once, when the application has started; {@code VirtDeviceApplication.main} then exits. A client whose
 * secret is configured cannot be rotated here: the configuration is its source of truth.
 */
@Component
class OAuthClientRegistration implements Callback, ApplicationRunner {

    static final String SECRET_PREFIX = "vdcs_";

    private static final Logger log = LoggerFactory.getLogger(OAuthClientRegistration.class);

    // A client id keeps its type: grants copy the type, and a web client must never turn into Alexa.
    private static final String UPSERT = """
            insert into public.oauth_clients (client_id, client_secret_hash, secret_updated_at, name, type,
                                              redirect_uris, allowed_scopes, access_token_lifetime,
                                              refresh_token_lifetime, require_pkce)
            values (?, ?, case when ? then now() end, ?, cast(? as public.oauth_client_type), ?, ?, ?, ?, ?)
            on conflict (client_id) do update
               set client_secret_hash = case when excluded.type = 'mobile' then null
                                             else coalesce(excluded.client_secret_hash, oauth_clients.client_secret_hash) end,
                   secret_updated_at = case when excluded.client_secret_hash is distinct from oauth_clients.client_secret_hash
                                                 and excluded.client_secret_hash is not null
                                            then now() else oauth_clients.secret_updated_at end,
                   name = excluded.name, redirect_uris = excluded.redirect_uris,
                   allowed_scopes = excluded.allowed_scopes, access_token_lifetime = excluded.access_token_lifetime,
                   refresh_token_lifetime = excluded.refresh_token_lifetime, require_pkce = excluded.require_pkce
             where oauth_clients.type = excluded.type
            """;

    private static final String ROTATE = """
            update public.oauth_clients set client_secret_hash = ?, secret_updated_at = now() where client_id = ?
            """;

    private final OAuthClients clients;
    private final OAuthSettings settings;
    private final AtomicReference<String> rotatedSecret = new AtomicReference<>();
    private final PrintStream out;

    OAuthClientRegistration(OAuthClients clients, OAuthSettings settings) {
        this.clients = clients;
        this.settings = settings;
        this.out = System.out;
    }

    @Override
    public boolean supports(Event event, Context context) {
        return event == Event.AFTER_MIGRATE;
    }

    @Override
    public boolean canHandleInTransaction(Event event, Context context) {
        return true;
    }

    @Override
    public void handle(Event event, Context context) {
        try {
            Connection con = context.getConnection();
            for (OAuthClients.Definition client : clients.all()) {
                register(con, client);
            }
            if (settings.rotateSecret() != null && !settings.rotateSecret().isBlank()) {
                rotate(con, settings.rotateSecret().strip());
            }
        } catch (SQLException e) {
            throw new IllegalStateException("could not register the OAuth clients", e);
        }
    }

    @Override
    public String getCallbackName() {
        return "virtdevice-oauth-clients";
    }

    /** Prints the rotated secret, once. */
    @Override
    public void run(ApplicationArguments args) {
        if (settings.rotateSecret() == null || settings.rotateSecret().isBlank()) {
            return;
        }
        String secret = rotatedSecret.getAndSet(null);
        if (secret == null) {
            throw new IllegalStateException("virtdevice.oauth.rotate-secret needs the database migrations to run "
                    + "(spring.flyway.enabled must not be false)");
        }
        out.println("New client secret for OAuth client '" + settings.rotateSecret().strip()
                + "' (shown only now; the previous secret no longer works):");
        out.println(secret);
        out.flush();
    }

    private void register(Connection con, OAuthClients.Definition client) throws SQLException {
        byte[] hash = client.secret() == null ? null : Tokens.sha256(client.secret());
        try (PreparedStatement ps = con.prepareStatement(UPSERT)) {
            int i = 1;
            ps.setString(i++, client.clientId());
            if (hash == null) {
                ps.setNull(i++, Types.BINARY);
            } else {
                ps.setBytes(i++, hash);
            }
            ps.setBoolean(i++, hash != null);
            ps.setString(i++, client.name());
            ps.setString(i++, client.type().code());
            ps.setArray(i++, con.createArrayOf("text", client.redirectUris().toArray()));
            ps.setArray(i++, con.createArrayOf("text", client.scopes().toArray()));
            ps.setInt(i++, (int) client.accessTokenLifetime().toSeconds());
            ps.setInt(i++, client.refreshTokenLifetime() == null ? 0 : (int) client.refreshTokenLifetime().toSeconds());
            ps.setBoolean(i, client.requirePkce());
            if (ps.executeUpdate() != 1) {
                throw new IllegalStateException("OAuth client id '" + client.clientId()
                        + "' is already registered as a different kind of client; choose another client id");
            }
        }
        if (client.secret() == null && !client.type().isPublic()) {
            log.info("OAuth client '{}' has no configured secret; it uses the secret last set by the rotation "
                    + "command, if any", client.clientId());
        }
    }

    private void rotate(Connection con, String clientId) throws SQLException {
        OAuthClients.Definition client = clients.find(clientId).orElseThrow(() -> new IllegalStateException(
                "virtdevice.oauth.rotate-secret: OAuth client '" + clientId + "' is not configured"));
        if (client.type().isPublic()) {
            throw new IllegalStateException("virtdevice.oauth.rotate-secret: '" + clientId
                    + "' is a public client and has no secret");
        }
        if (client.secret() != null) {
            throw new IllegalStateException("virtdevice.oauth.rotate-secret: the secret of '" + clientId
                    + "' comes from configuration; change it there (or remove it to manage it with this command)");
        }
        String secret = Tokens.generate(SECRET_PREFIX);
        try (PreparedStatement ps = con.prepareStatement(ROTATE)) {
            ps.setBytes(1, Tokens.sha256(secret));
            ps.setString(2, clientId);
            ps.executeUpdate();
        }
        rotatedSecret.set(secret);
        log.warn("Rotated the secret of OAuth client '{}'", clientId);
    }
}
