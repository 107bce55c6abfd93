package io.virtdevice.platform.database;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.platform.tenancy.TenantScopedTransactionManager;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TestDatabase;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestPropertySource;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * With a pool of exactly one connection, every transaction reuses the connection the previous user had:
 * the tenant context must die with each transaction (D-01), committed or rolled back.
 */
@IntegrationTest
@TestPropertySource(properties = "spring.datasource.hikari.maximum-pool-size=1")
// A second application on the shared database that would otherwise live on (cached) for the rest of the
// run, taking its share of dispatching and first webhook attempts through a single connection.
@DirtiesContext
class ConnectionPoolHygieneTests {

    private static final String PROBE = """
            select pg_backend_pid() as pid,
                   (select count(*) from devices where id = :a) as a_devices,
                   (select count(*) from devices where id = :b) as b_devices,
                   current_setting('app.current_user_id', true) as user_setting
            """;

    @Autowired
    ApplicationContext context;

    @Autowired
    PasswordHasher hasher;

    TestDatabase db;
    TenantRows a;
    TenantRows b;

    @BeforeEach
    void twoTenants() {
        db = TestDatabase.of(context);
        Fixtures fixtures = new Fixtures(db.dataSource(), hasher);
        a = TenantRows.seed(db.superuser(), fixtures.owner());
        b = TenantRows.seed(db.superuser(), fixtures.owner());
    }

    @Test
    void runsOnASinglePooledConnection() throws Exception {
        assertThat(db.dataSource().unwrap(HikariDataSource.class).getMaximumPoolSize()).isOne();
    }

    @Test
    void forgetsEachUserWhenTheirTransactionEnds() {
        Map<String, Object> asB = db.as(b.user().context(), this::probe);
        Map<String, Object> asA = db.as(a.user().context(), this::probe);
        Map<String, Object> anonymous = db.withoutContext(this::probe);
        Map<String, Object> outsideTransaction = probe(db.appWithoutTransaction());

        assertThat(asB).containsEntry("b_devices", 1L).containsEntry("a_devices", 0L);
        assertThat(asA).containsEntry("a_devices", 1L).containsEntry("b_devices", 0L)
                .containsEntry("pid", asB.get("pid"));
        assertThat(anonymous).containsEntry("a_devices", 0L).containsEntry("b_devices", 0L)
                .containsEntry("user_setting", "").containsEntry("pid", asB.get("pid"));
        assertThat(outsideTransaction).containsEntry("a_devices", 0L).containsEntry("b_devices", 0L)
                .containsEntry("pid", asB.get("pid"));
        assertThat((String) outsideTransaction.get("user_setting")).isNullOrEmpty();
    }

    @Test
    void relaxesCommitDurabilityOnlyForTheTransactionThatAsksForIt() {
        PlatformTransactionManager transactions = context.getBean(PlatformTransactionManager.class);
        JdbcClient jdbc = context.getBean(JdbcClient.class);
        String relaxed = TenantScopedTransactionManager.asynchronousCommit(transactions)
                .execute(s -> jdbc.sql("select current_setting('synchronous_commit')").query(String.class).single());
        // the same pooled connection, next transaction: back to the server's setting
        String next = new TransactionTemplate(transactions)
                .execute(s -> jdbc.sql("select current_setting('synchronous_commit')").query(String.class).single());
        String outside = jdbc.sql("select current_setting('synchronous_commit')").query(String.class).single();
        assertThat(relaxed).isEqualTo("off");
        assertThat(next).isEqualTo("on");
        assertThat(outside).isEqualTo("on");
    }

    @Test
    void forgetsAUserWhoseTransactionRolledBack() {
        UUID[] seenDevice = new UUID[1];
        assertThatThrownBy(() -> db.runAs(b.user().context(), jdbc -> {
                    seenDevice[0] = jdbc.sql("select id from devices").query(UUID.class).single();
                    throw new IllegalStateException("roll back");
                }))
                .hasMessage("roll back");
        Map<String, Object> afterwards = probe(db.appWithoutTransaction());
        Map<String, Object> nextAnonymous = db.withoutContext(this::probe);

        assertThat(seenDevice[0]).isEqualTo(b.deviceId());
        assertThat(afterwards).containsEntry("b_devices", 0L);
        assertThat((String) afterwards.get("user_setting")).isNullOrEmpty();
        assertThat(nextAnonymous).containsEntry("b_devices", 0L).containsEntry("pid", afterwards.get("pid"));
    }

    private Map<String, Object> probe(JdbcClient jdbc) {
        return jdbc.sql(PROBE).param("a", a.deviceId()).param("b", b.deviceId()).query().singleRow();
    }
}
