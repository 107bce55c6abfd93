package io.virtdevice.oauth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TestDatabase;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.callback.Context;
import org.flywaydb.core.api.callback.Event;
import org.flywaydb.core.api.callback.Statement;
import org.flywaydb.core.api.configuration.Configuration;
import org.flywaydb.core.api.output.OperationResult;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;

/**
 * Client registration after the migrations (as the owner, on the migration connection) and the refusals of
 * the rotation command. The happy path of the command runs a whole application: ClientSecretRotationTests.
 */
@IntegrationTest
class OAuthClientRegistrationTests {

    @Autowired
    ApplicationContext context;

    private static OAuthSettings settings(OAuthSettings.Ifttt ifttt, OAuthSettings.Mobile mobile, String rotate) {
        return new OAuthSettings(Duration.ofHours(1), Duration.ofDays(30), Duration.ofHours(24), Duration.ofSeconds(10),
                Duration.ofSeconds(5),
                new OAuthSettings.Clients(new OAuthSettings.Web("virtdevice-web", null, null, true, null),
                        new OAuthSettings.Alexa("alexa-smart-home", null, null, false, null), ifttt, mobile),
                rotate);
    }

    private void migrate(OAuthSettings settings) throws Exception {
        try (Connection connection = TestDatabase.of(context).superuserConnection()) {
            new OAuthClientRegistration(new OAuthClients(settings), settings).handle(Event.AFTER_MIGRATE, on(connection));
        }
    }

    private static String id(String hint) {
        return hint + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    void refusesToRotateASecretThatComesFromConfiguration() {
        String client = id("ifttt");
        OAuthSettings configured = settings(new OAuthSettings.Ifttt(client, "svc", "configured-secret-0123456789abcdefghij",
                null), new OAuthSettings.Mobile("virtdevice-mobile", null, null), client);

        assertThatThrownBy(() -> migrate(configured)).hasMessageContaining("comes from configuration");
    }

    @Test
    void refusesToRotateAPublicOrUnconfiguredClient() {
        String mobile = id("mobile");
        OAuthSettings publicClient = settings(new OAuthSettings.Ifttt("ifttt-service", null, null, null),
                new OAuthSettings.Mobile(mobile, List.of("io.virtdevice.app:/cb"), null), mobile);
        OAuthSettings unknown = settings(new OAuthSettings.Ifttt("ifttt-service", null, null, null),
                new OAuthSettings.Mobile("virtdevice-mobile", null, null), "no-such-client");

        assertThatThrownBy(() -> migrate(publicClient)).hasMessageContaining("public client");
        assertThatThrownBy(() -> migrate(unknown)).hasMessageContaining("not configured");
    }

    @Test
    void keepsAClientIdFromChangingItsKind() throws Exception {
        String client = id("shared");
        migrate(settings(new OAuthSettings.Ifttt(client, "svc", null, null),
                new OAuthSettings.Mobile("virtdevice-mobile", null, null), null));

        assertThatThrownBy(() -> migrate(settings(new OAuthSettings.Ifttt("ifttt-service", null, null, null),
                        new OAuthSettings.Mobile(client, List.of("io.virtdevice.app:/cb"), null), null)))
                .hasMessageContaining("different kind of client");
        assertThat(TestDatabase.of(context).superuser().sql("select type::text from oauth_clients where client_id = :c")
                .param("c", client).query(String.class).single()).isEqualTo("ifttt");
    }

    @Test
    void keepsAnEarlierSecretWhenNoneIsConfiguredAndReplacesItWhenOneIs() throws Exception {
        String client = id("ifttt");
        OAuthSettings.Mobile noMobile = new OAuthSettings.Mobile("virtdevice-mobile", null, null);
        migrate(settings(new OAuthSettings.Ifttt(client, "svc", "first-secret-0123456789abcdefghijklmn", null), noMobile, null));
        migrate(settings(new OAuthSettings.Ifttt(client, "svc", null, null), noMobile, null));
        byte[] kept = hash(client);
        migrate(settings(new OAuthSettings.Ifttt(client, "svc", "second-secret-0123456789abcdefghijklm", null), noMobile, null));

        assertThat(kept).isEqualTo(io.virtdevice.platform.crypto.Tokens.sha256("first-secret-0123456789abcdefghijklmn"));
        assertThat(hash(client)).isEqualTo(io.virtdevice.platform.crypto.Tokens.sha256("second-secret-0123456789abcdefghijklm"));
    }

    private byte[] hash(String client) {
        return TestDatabase.of(context).superuser().sql("select client_secret_hash from oauth_clients where client_id = :c")
                .param("c", client).query(byte[].class).single();
    }

    /** A Flyway callback context over a plain connection (auto-commit, like Flyway's own outside a migration). */
    private static Context on(Connection connection) {
        return new Context() {
            @Override
            public Configuration getConfiguration() {
                return null;
            }

            @Override
            public Connection getConnection() {
                return connection;
            }

            @Override
            public MigrationInfo getMigrationInfo() {
                return null;
            }

            @Override
            public Statement getStatement() {
                return null;
            }

            @Override
            public OperationResult getOperationResult() {
                return null;
            }
        };
    }
}
