package io.virtdevice.platform.database;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.AppInstance;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.Fixtures.TestUser;
import io.virtdevice.testing.TestDatabase;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * The app against an external PostgreSQL (the machine's server on 127.0.0.1:5432, superuser postgres
 * with trust authentication; .ci/run starts it): bootstrapped with db/bootstrap/roles.sql into a fresh
 * database per run, migrated by the owner role, served by the app role, and refused when the app role
 * could bypass row-level security. No server there is a failure, never a skip.
 */
class ExternalDatabaseTests {

    static final String SERVER = "127.0.0.1:5432";
    static final String DATABASE = "vd_test_" + Long.toString(System.currentTimeMillis(), 36)
            + Long.toString(ProcessHandle.current().pid(), 36);
    static final String JDBC_URL = "jdbc:postgresql://" + SERVER + "/" + DATABASE;
    /** Serialises the cluster-wide role bootstrap with other test runs on the same server. */
    static final long BOOTSTRAP_LOCK = 0x7664_0001L;

    @BeforeAll
    static void createDatabase() throws SQLException {
        try (Connection con = admin(); Statement st = con.createStatement()) {
            st.execute("select pg_advisory_lock(" + BOOTSTRAP_LOCK + ")");
            try {
                st.execute(EmbeddedDatabaseEnvironment.readBootstrapSql());
            } finally {
                st.execute("select pg_advisory_unlock(" + BOOTSTRAP_LOCK + ")");
            }
            st.execute("create database " + DATABASE + " owner " + EmbeddedDatabaseEnvironment.OWNER_ROLE);
        }
    }

    @AfterAll
    static void dropDatabase() throws SQLException {
        try (Connection con = admin(); Statement st = con.createStatement()) {
            st.execute("drop database if exists " + DATABASE + " with (force)");
        }
    }

    @Test
    void migratesAndServesAnExternalDatabase() throws IOException {
        try (AppInstance app = AppInstance.start(
                "spring.datasource.url=" + JDBC_URL,
                "spring.datasource.username=virtdevice_app",
                "spring.datasource.password=",
                "spring.flyway.user=virtdevice_owner",
                "spring.flyway.password=")) {
            assertServes(app);
        }
        List<Boolean> history = TestDatabase.superuser(JDBC_URL)
                .sql("select success from flyway_schema_history where version is not null").query(Boolean.class).list();
        assertThat(history).hasSize(migrationCount()).containsOnly(true);
    }

    @Test
    void acceptsDatabaseUrlSettings() {
        try (AppInstance app = AppInstance.start(
                "DATABASE_URL=postgres://virtdevice_app@" + SERVER + "/" + DATABASE,
                "DATABASE_MIGRATION_URL=postgres://virtdevice_owner@" + SERVER + "/" + DATABASE)) {
            assertThat(app.context().getEnvironment().getProperty("spring.datasource.url")).isEqualTo(JDBC_URL);
            assertServes(app);
        }
    }

    @Test
    void refusesToStartAsASuperuser() {
        assertThatThrownBy(() -> AppInstance.start(
                        "spring.datasource.url=" + JDBC_URL,
                        "spring.datasource.username=postgres",
                        "spring.flyway.user=virtdevice_owner"))
                .rootCause()
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("Refusing to start")
                .hasMessageContaining("role postgres is (or is a member of) a SUPERUSER or BYPASSRLS role");
    }

    @Test
    void refusesToStartAsTheOwnerRole() {
        assertThatThrownBy(() -> AppInstance.start(
                        "spring.datasource.url=" + JDBC_URL,
                        "spring.datasource.username=virtdevice_owner",
                        "spring.flyway.user=virtdevice_owner"))
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
                app.context().getBean(PlatformTransactionManager.class), JDBC_URL);
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

    private static Connection admin() throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://" + SERVER + "/postgres", "postgres", "");
    }
}
