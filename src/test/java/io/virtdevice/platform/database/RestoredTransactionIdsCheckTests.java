package io.virtdevice.platform.database;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TestDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;

/**
 * The start-up check for a logical restore loaded without {@code scripts/logical-restore-xids.sql}
 * (RestoredTransactionIdsCheck, V022) on the tests' database: it passes on a cluster that wrote its own events
 * (this context started with it), and its definer function, called as the application's role under forced
 * row-level security, sees an event or a sealed range above the cluster's next transaction id. The restored
 * state is made inside a superuser transaction that is rolled back, so no other test sees it. The real restore
 * with and without the script: {@link LogicalRestoreTransactionIdsTests}.
 */
@IntegrationTest
class RestoredTransactionIdsCheckTests {

    @LocalServerPort
    int port;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    @Autowired
    ApplicationContext context;

    @Autowired
    RestoredTransactionIdsCheck check;

    @Test
    void passesOnAClusterThatWroteItsOwnEventsAndSeesRestoredIdsAsTheApplicationRole() throws Exception {
        Fixtures.TestUser user = new Fixtures(dataSource, hasher).owner();
        Api api = new Api(port).bearer(user.apiKey());
        String lamp = api.post("/api/v1/devices", Map.of("name", "Lamp", "type", "switch")).json().path("id").asString();
        assertThat(api.put("/api/v1/devices/" + lamp + "/properties", Map.of("power", true)).status()).isEqualTo(200);
        assertThat(check.problem()).as("a normal start").isEmpty();

        int databasePort = context.getEnvironment().getRequiredProperty("virtdevice.database.embedded.actual-port",
                Integer.class);
        String url = "jdbc:postgresql://localhost:" + databasePort + "/virtdevice";
        try (Connection superuser = DriverManager.getConnection(url, "postgres",
                TestDatabase.credentials(context.getEnvironment()).superuser())) {
            superuser.setAutoCommit(false);
            try (Statement sql = superuser.createStatement()) {
                // this user's events as a dump of a cluster 20,000 ids ahead would bring them
                sql.execute("update device_events set tx_id = (pg_snapshot_xmax(pg_current_snapshot())::text::numeric"
                        + " + 20000)::text::xid8 where user_id = '" + user.userId() + "'");
                sql.execute("set local role virtdevice_app");
                String[] seen = ahead(sql);
                assertThat(seen[1]).as("newest event tx, seen as the app role").isNotNull();
                assertThat(Long.parseLong(seen[1])).isGreaterThanOrEqualTo(Long.parseLong(seen[0]));
                assertThat(seen[2]).as("no sealed range above").isNull();
            } finally {
                superuser.rollback();
            }
            try (Statement sql = superuser.createStatement()) {
                // a range sealed in the old cluster, ending above the new one's ids
                sql.execute("insert into device_event_partitions (name, from_tx, to_tx, created_xid, sealed_seq)"
                        + " select 'restored_check_test', x, (x::text::numeric + 1000)::text::xid8, '2', 1"
                        + " from (select (pg_snapshot_xmax(pg_current_snapshot())::text::numeric + 50000)::text::xid8 as x) n");
                sql.execute("set local role virtdevice_app");
                String[] seen = ahead(sql);
                assertThat(seen[1]).as("no event above").isNull();
                assertThat(seen[2]).as("the sealed range's end, seen as the app role").isNotNull();
            } finally {
                superuser.rollback();
            }
        }
        assertThat(check.problem()).as("after the rollbacks").isEmpty();
    }

    private static String[] ahead(Statement sql) throws Exception {
        try (ResultSet rs = sql.executeQuery("select next_tx::text, newest_event_tx::text, newest_sealed_to_tx::text"
                + " from app.device_event_ids_ahead_of_cluster()")) {
            assertThat(rs.next()).isTrue();
            return new String[] {rs.getString(1), rs.getString(2), rs.getString(3)};
        }
    }
}
