package io.virtdevice.platform.database;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.AppInstance;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.Fixtures.TestUser;
import io.virtdevice.testing.TestDatabase;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded PostgreSQL trusts nobody: every role needs its password (generated on the first start, kept
 * in the data directory, 0600), so another local user cannot connect as the superuser or as the app. A data
 * directory created before (trust authentication for every local connection) is converted on its next start.
 */
class EmbeddedDatabaseAuthenticationTests {

    static final List<String> ROLES = List.of("postgres", "virtdevice_owner", "virtdevice_app");

    @TempDir
    Path temp;

    @Test
    void everyRoleNeedsItsPasswordAcrossRestarts() throws Exception {
        Path data = temp.resolve("postgres");
        String[] settings = {
            "virtdevice.database.embedded.data-directory=" + data, "virtdevice.database.embedded.fresh=false"
        };
        TestUser user;
        try (AppInstance app = AppInstance.start(settings)) {
            TestDatabase db = TestDatabase.of(app.context());
            user = new Fixtures(db.dataSource(), app.context().getBean(PasswordHasher.class)).owner();
            assertRefusesWithoutPassword(app);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve(EmbeddedCredentials.FILE))))
                    .isEqualTo("rw-------");
            assertThat(db.superuser().sql("select distinct auth_method from pg_hba_file_rules").query(String.class).list())
                    .containsExactly("scram-sha-256");
        } finally {
            EmbeddedDatabaseEnvironment.stop(data);
        }
        EmbeddedCredentials first = TestDatabase.credentials(data);

        try (AppInstance again = AppInstance.start(settings)) {
            assertThat(TestDatabase.credentials(data)).as("the same passwords after a restart").isEqualTo(first);
            assertServes(again, user);
            assertRefusesWithoutPassword(again);
        } finally {
            EmbeddedDatabaseEnvironment.stop(data);
        }
    }

    @Test
    void convertsADataDirectoryThatTrustedEveryone() throws Exception {
        Path data = temp.resolve("old-postgres");
        // as the embedded server was created before: initdb -A trust, the roles without passwords
        try (EmbeddedPostgres old = EmbeddedPostgres.builder().setDataDirectory(data).setCleanDataDirectory(false)
                .setRegisterShutdownHook(false).start()) {
            EmbeddedDatabaseEnvironment.bootstrap(old);
            DriverManager.getConnection(old.getJdbcUrl("virtdevice_app", "virtdevice"), "virtdevice_app", "").close();
        }
        assertThat(data.resolve(EmbeddedCredentials.FILE)).doesNotExist();

        try (AppInstance app = AppInstance.start(
                "virtdevice.database.embedded.data-directory=" + data, "virtdevice.database.embedded.fresh=false")) {
            assertRefusesWithoutPassword(app);
            TestDatabase db = TestDatabase.of(app.context());
            assertServes(app, new Fixtures(db.dataSource(), app.context().getBean(PasswordHasher.class)).owner());
        } finally {
            EmbeddedDatabaseEnvironment.stop(data);
        }
    }

    private static void assertRefusesWithoutPassword(AppInstance app) {
        int port = app.context().getEnvironment().getRequiredProperty("virtdevice.database.embedded.actual-port",
                Integer.class);
        for (String role : ROLES) {
            for (String password : List.of("", "wrong")) {
                assertThatThrownBy(() -> DriverManager.getConnection(
                                "jdbc:postgresql://127.0.0.1:" + port + "/virtdevice", role, password).close())
                        .as("%s with password '%s'", role, password)
                        .isInstanceOf(SQLException.class)
                        .hasMessageContaining("password");
            }
        }
    }

    private static void assertServes(AppInstance app, TestUser user) {
        assertThat(app.api().get("/actuator/health/readiness").status()).isEqualTo(200);
        TestDatabase db = TestDatabase.of(app.context());
        String email = db.as(user.context(), jdbc -> jdbc.sql("select email from users where id = :id")
                .param("id", user.userId()).query(String.class).single());
        assertThat(email).isEqualTo(user.email());
    }
}
