package io.virtdevice.platform.database;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.AppInstance;
import io.virtdevice.testing.ExternalPostgres;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.Fixtures.TestUser;
import io.virtdevice.testing.TestDatabase;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * The app against an external PostgreSQL: a server the tests start themselves ({@link ExternalPostgres}: not
 * the app's embedded one, password authentication, bootstrapped with db/bootstrap/roles.sql as the README
 * tells an operator), a fresh database per run, migrated by the owner role, served by the app role, and
 * refused when the app role could bypass row-level security. Needs nothing of the machine but a JDK.
 */
class ExternalDatabaseTests {

    static final String DATABASE = "vd_test_" + Long.toString(System.currentTimeMillis(), 36)
            + Long.toString(ProcessHandle.current().pid(), 36);
    static String server;
    static String jdbcUrl;

    @BeforeAll
    static void createDatabase() {
        server = ExternalPostgres.hostAndPort();
        jdbcUrl = ExternalPostgres.createDatabase(DATABASE);
    }

    @AfterAll
    static void dropDatabase() {
        ExternalPostgres.dropDatabase(DATABASE);
    }

    @Test
    void migratesAndServesAnExternalDatabase() throws IOException {
        try (AppInstance app = AppInstance.start(
                "spring.datasource.url=" + jdbcUrl,
                "spring.datasource.username=virtdevice_app",
                "spring.datasource.password=" + ExternalPostgres.APP_PASSWORD,
                "spring.flyway.user=virtdevice_owner",
                "spring.flyway.password=" + ExternalPostgres.OWNER_PASSWORD)) {
            assertServes(app);
        }
        List<Boolean> history = TestDatabase.superuser(jdbcUrl, ExternalPostgres.SUPERUSER_PASSWORD)
                .sql("select success from flyway_schema_history where version is not null").query(Boolean.class).list();
        assertThat(history).hasSize(migrationCount()).containsOnly(true);
    }

    @Test
    void acceptsDatabaseUrlSettings() {
        // passwords percent-encoded in the URL, as for any URL (they contain ':', '/', '@', '%' and a space)
        try (AppInstance app = AppInstance.start(
                "DATABASE_URL=postgres://virtdevice_app:" + encode(ExternalPostgres.APP_PASSWORD) + "@" + server + "/"
                        + DATABASE,
                "DATABASE_MIGRATION_URL=postgres://virtdevice_owner:" + encode(ExternalPostgres.OWNER_PASSWORD) + "@"
                        + server + "/" + DATABASE)) {
            assertThat(app.context().getEnvironment().getProperty("spring.datasource.url")).isEqualTo(jdbcUrl);
            assertServes(app);
        }
    }

    @Test
    void refusesToStartAsASuperuser() {
        assertThatThrownBy(() -> AppInstance.start(
                        "spring.datasource.url=" + jdbcUrl,
                        "spring.datasource.username=postgres",
                        "spring.datasource.password=" + ExternalPostgres.SUPERUSER_PASSWORD,
                        "spring.flyway.user=virtdevice_owner",
                        "spring.flyway.password=" + ExternalPostgres.OWNER_PASSWORD))
                .rootCause()
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("Refusing to start")
                .hasMessageContaining("role postgres is (or is a member of) a SUPERUSER or BYPASSRLS role");
    }

    @Test
    void refusesToStartAsTheOwnerRole() {
        assertThatThrownBy(() -> AppInstance.start(
                        "spring.datasource.url=" + jdbcUrl,
                        "spring.datasource.username=virtdevice_owner",
                        "spring.datasource.password=" + ExternalPostgres.OWNER_PASSWORD,
                        "spring.flyway.user=virtdevice_owner",
                        "spring.flyway.password=" + ExternalPostgres.OWNER_PASSWORD))
                .rootCause()
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("Refusing to start")
                .hasMessageContaining("role virtdevice_owner owns or can act as the owner of [");
    }

    private static void assertServes(AppInstance app) {
        assertThat(app.context().getEnvironment().getProperty("virtdevice.database.embedded.actual-port"))
                .as("no embedded server was started").isNull();
        assertThat(app.api().get("/actuator/health/readiness").json().path("status").asString()).isEqualTo("UP");
        Api.Response health = app.api().get("/actuator/health");
        assertThat(health.status()).as(health::toString).isEqualTo(200);

        TestDatabase db = new TestDatabase(app.context().getBean(DataSource.class),
                app.context().getBean(PlatformTransactionManager.class), jdbcUrl, ExternalPostgres.SUPERUSER_PASSWORD);
        TestUser user = new Fixtures(db.dataSource(), app.context().getBean(PasswordHasher.class)).owner();
        String email = db.as(user.context(), jdbc -> jdbc.sql("select email from users where id = :id")
                .param("id", user.userId()).query(String.class).single());
        assertThat(email).isEqualTo(user.email());
        String role = db.withoutContext(jdbc -> jdbc.sql("select current_user").query(String.class).single());
        assertThat(role).isEqualTo("virtdevice_app");
    }

    private static int migrationCount() throws IOException {
        return new PathMatchingResourcePatternResolver().getResources("classpath:db/migration/V*.sql").length;
    }

    private static String encode(String password) {
        return URLEncoder.encode(password, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
