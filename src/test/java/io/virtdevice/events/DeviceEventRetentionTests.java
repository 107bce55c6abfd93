package io.virtdevice.events;

import static io.virtdevice.testing.TestDatabase.refusal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.exceptions.TaskInstanceCurrentlyExecutingException;
import com.github.kagkarlsson.scheduler.task.TaskInstanceId;
import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.platform.web.DatabaseErrors;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.SseClient;
import io.virtdevice.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * device_events is partitioned by writing transaction; old partitions are dropped after the retention but
 * never while they hold an event a consumer has not processed; a live stream resuming from before what is
 * kept is told to reload (issue 9 §4).
 *
 * <p>Old partitions are simulated in the transaction-id range [0, 2): ids 0 and 1 are never a transaction's,
 * so no real event can land there; an event placed there (tx_id 1) takes a new seq, so the consumers' positions
 * pass it like any (the relay itself reads only from the newest sealed range on, V021, where a real writer's
 * event always is: DeviceEventPartitionReadsTests).
 */
@IntegrationTest
class DeviceEventRetentionTests {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final TaskInstanceId PARTITIONS =
            TaskInstanceId.of(DeviceEventPartitionsTask.NAME, RecurringTask.INSTANCE);

    @LocalServerPort
    int port;

    @Autowired
    ApplicationContext context;

    @Autowired
    PasswordHasher hasher;

    @Autowired
    SchedulerClient schedulerClient;

    TestDatabase db;

    @BeforeEach
    void database() {
        db = TestDatabase.of(context);
    }

    @Test
    void partitionsByWritingTransactionWithADefaultAndTheParentsProtections() {
        Map<String, Object> parent = db.superuser().sql("""
                        select c.relkind::text as kind, pg_get_partkeydef(c.oid) as key,
                               c.relrowsecurity and c.relforcerowsecurity as forced,
                               (select array_agg(a.attname::text order by a.attname::text) from pg_index i
                                  join pg_attribute a on a.attrelid = c.oid and a.attnum = any (i.indkey)
                                 where i.indrelid = c.oid and i.indisprimary) as primary_key,
                               (select array_agg(p.policyname::text order by p.policyname::text) from pg_policies p
                                 where p.tablename = 'device_events') as policies,
                               has_table_privilege('virtdevice_app', c.oid, 'SELECT') as app_select,
                               has_column_privilege('virtdevice_app', c.oid, 'device_name', 'INSERT') as app_insert,
                               has_column_privilege('virtdevice_app', c.oid, 'seq', 'INSERT') as app_insert_seq,
                               has_column_privilege('virtdevice_app', c.oid, 'tx_id', 'INSERT') as app_insert_tx,
                               has_table_privilege('virtdevice_app', c.oid, 'UPDATE, DELETE') as app_change
                          from pg_class c where c.oid = 'device_events'::regclass
                        """).query().singleRow();
        assertThat(parent).containsEntry("kind", "p")
                .containsEntry("key", "RANGE (tx_id)")
                .containsEntry("forced", true)
                .containsEntry("app_select", true)
                .containsEntry("app_insert", true)
                .containsEntry("app_insert_seq", false)
                .containsEntry("app_insert_tx", false)
                .containsEntry("app_change", false);
        assertThat(array(parent.get("primary_key"))).containsExactly("id", "tx_id");
        assertThat(array(parent.get("policies"))).containsExactly("device_events_definer", "device_events_user_isolation");

        List<Map<String, Object>> partitions = db.superuser().sql("""
                        select c.relname::text as name, pg_get_expr(c.relpartbound, c.oid) as bound,
                               c.relrowsecurity and c.relforcerowsecurity as forced,
                               has_table_privilege('virtdevice_app', c.oid, 'SELECT, INSERT, UPDATE, DELETE') as app,
                               (select count(*) from pg_index i where i.indrelid = c.oid) as indexes
                          from pg_inherits h join pg_class c on c.oid = h.inhrelid
                         where h.inhparent = 'device_events'::regclass
                        """).query().listOfRows();
        assertThat(partitions).extracting(p -> p.get("bound")).contains("DEFAULT");
        assertThat(partitions).allSatisfy(p -> {
            assertThat(p.get("forced")).as("%s forced RLS", p.get("name")).isEqualTo(true);
            assertThat(p.get("app")).as("%s app privilege", p.get("name")).isEqualTo(false);
            assertThat(((Number) p.get("indexes")).intValue()).as("%s indexes", p.get("name")).isEqualTo(4);
        });
        // a range covers more than the next transaction id: writes do not go to the default partition
        boolean ahead = db.superuser().sql("""
                        select max(to_tx) > pg_snapshot_xmax(pg_current_snapshot()) from device_event_partitions
                         where dropped_at is null
                        """).query(Boolean.class).single();
        assertThat(ahead).isTrue();
    }

    @Test
    void writesLandInTheRangePartitionOfTheirTransaction() {
        Fixtures.TestUser user = new Fixtures(db.dataSource(), hasher).owner();
        String id = new Api(port).bearer(user.apiKey())
                .post("/api/v1/devices", Map.of("name", "Lamp", "type", "switch")).json().path("id").asString();

        Map<String, Object> row = db.superuser().sql("""
                        select e.tableoid::regclass::text as partition, p.name
                          from device_events e
                          left join device_event_partitions p on e.tx_id >= p.from_tx and e.tx_id < p.to_tx
                         where e.device_id = :d
                        """).param("d", UUID.fromString(id)).query().singleRow();
        assertThat(row.get("partition")).isNotEqualTo("device_events_default").isEqualTo(row.get("name"));
        long visible = db.as(user.context(), jdbc -> jdbc.sql("select count(*) from device_events where device_id = :d")
                .param("d", UUID.fromString(id)).query(Long.class).single());
        assertThat(visible).as("read through the parent under the owner's context").isOne();
    }

    @Test
    void keepsAPartitionHoldingAnUnprocessedEventAndDropsItOnceProcessedAndOld() throws SQLException {
        Fixtures.TestUser user = new Fixtures(db.dataSource(), hasher).owner();
        String recent = new Api(port).bearer(user.apiKey())
                .post("/api/v1/devices", Map.of("name", "Recent", "type", "switch")).json().path("id").asString();
        String recentPartition = partitionOf(UUID.fromString(recent));
        String old = oldPartition(user, Duration.ofDays(100));

        // the relay set back before the old event (as after a restore): the partition must stay
        try (Connection c = db.superuserConnection()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("update event_consumer_positions set seq = 0");
                assertThat(single(st, "select app.drop_expired_device_event_partition('90 days')")).isNull();
                assertThat(single(st, "select to_regclass('" + old + "')::text")).isEqualTo(old);
            } finally {
                c.rollback(); // the relay's positions as they were (the dispatcher skipped the locked rows meanwhile)
            }
        }
        // 100 days old but within a retention of 120 days: kept
        DatabaseErrors tooShort = refusal(() -> db.withoutContext(jdbc ->
                jdbc.sql("select app.drop_expired_device_event_partition('1 hour')").query(String.class).list()));
        assertThat(tooShort.sqlState()).isEqualTo("22023");
        String kept = db.withoutContext(jdbc -> jdbc.sql("select app.drop_expired_device_event_partition('120 days')")
                .query(String.class).list().get(0));
        assertThat(kept).isNull();
        assertThat(exists(old)).isTrue();

        // processed and older than the configured 90 days: the job drops it, and never the recent one
        awaitRelayedByEveryConsumer();
        runPartitionsJob();

        await().atMost(WAIT).until(() -> !exists(old));
        assertThat(exists(recentPartition)).isTrue();
        assertThat(db.superuser().sql("select count(*) from device_events where device_id = :d")
                .param("d", UUID.fromString(recent)).query(Long.class).single()).isOne();
        assertThat(db.superuser().sql("select dropped_at is not null from device_event_partitions where name = :n")
                .param("n", old).query(Boolean.class).single()).isTrue();
    }

    @Test
    void tellsAStreamResumingFromBeforeWhatIsKeptToReloadThenStreamsLive() throws SQLException {
        Fixtures.TestUser user = new Fixtures(db.dataSource(), hasher).owner();
        Api api = new Api(port).bearer(user.apiKey());
        String device = api.post("/api/v1/devices", Map.of("name", "Lamp", "type", "switch")).json().path("id")
                .asString();
        long seen = db.superuser().sql("select seq from device_events where device_id = :d")
                .param("d", UUID.fromString(device)).query(Long.class).single();
        String old = oldPartition(user, Duration.ofDays(100));
        awaitRelayedByEveryConsumer();
        db.withoutContext(jdbc -> jdbc.sql("select app.drop_expired_device_event_partition('90 days')")
                .query(String.class).list());
        await().atMost(WAIT).until(() -> !exists(old)); // by this call, or by the job if it ran at that moment

        try (SseClient resumed = SseClient.open("http://127.0.0.1:" + port + "/api/v1/events/stream",
                Map.of("Authorization", "Bearer " + user.apiKey(), "Last-Event-ID", Long.toString(seen)))) {
            SseClient.Event reset = resumed.next(WAIT);
            assertThat(reset.type()).isEqualTo("reset");
            assertThat(reset.json().path("reason").asString()).isEqualTo("events_expired");
            assertThat(reset.json().path("retention_days").asLong()).isEqualTo(90);
            assertThat(Long.parseLong(reset.id())).isGreaterThanOrEqualTo(seen);

            api.put("/api/v1/devices/" + device + "/properties", Map.of("power", true));

            SseClient.Event live = resumed.next(WAIT);
            assertThat(live.type()).isEqualTo("property.changed");
            assertThat(Long.parseLong(live.id())).isGreaterThan(Long.parseLong(reset.id()));
            // resuming from the reset's id is an ordinary resume again
            try (SseClient again = SseClient.open("http://127.0.0.1:" + port + "/api/v1/events/stream",
                    Map.of("Authorization", "Bearer " + user.apiKey(), "Last-Event-ID", reset.id()))) {
                SseClient.Event replayed = again.next(WAIT);
                assertThat(replayed.type()).isEqualTo("property.changed");
                assertThat(replayed.id()).isEqualTo(live.id());
            }
        }
    }

    /**
     * A processed partition in the never-used range [0, 2) with one event of {@code user} written
     * {@code age} ago; returns its name.
     */
    private String oldPartition(Fixtures.TestUser user, Duration age) {
        String name = "device_events_test_" + System.nanoTime();
        JdbcClient su = db.superuser();
        su.sql("create table " + name + " partition of device_events for values from ('0') to ('2')").update();
        su.sql("alter table " + name + " enable row level security").update();
        su.sql("alter table " + name + " force row level security").update();
        su.sql("alter table " + name + " owner to virtdevice_owner").update();
        su.sql("""
                        insert into device_event_partitions (name, from_tx, to_tx, created_xid, created_at)
                        values (:n, '0', '2', '2', now() - cast(:age as interval))
                        """).param("n", name).param("age", age.toSeconds() + " seconds").update();
        su.sql("""
                        insert into device_events (tenant_id, user_id, device_id, device_name, device_type, kind,
                                                   source, device_version, tx_id, occurred_at)
                        values (:t, :u, :d, 'Old', 'switch', 'device.created', 'api', 1, '1',
                                now() - cast(:age as interval))
                        """).param("t", user.tenantId()).param("u", user.userId()).param("d", UUID.randomUUID())
                .param("age", age.toSeconds() + " seconds").update();
        return name;
    }

    private boolean exists(String table) {
        return db.superuser().sql("select to_regclass(:t) is not null").param("t", table).query(Boolean.class).single();
    }

    private String partitionOf(UUID device) {
        return db.superuser().sql("select tableoid::regclass::text from device_events where device_id = :d")
                .param("d", device).query(String.class).single();
    }

    /** Every consumer's position has passed the events placed in the old range (each takes a new seq). */
    private void awaitRelayedByEveryConsumer() {
        await().atMost(WAIT).until(() -> db.superuser().sql("""
                        select (select min(seq) from event_consumer_positions)
                               >= (select max(seq) from device_events where tx_id < '2')
                        """).query(Boolean.class).single());
    }

    private void runPartitionsJob() {
        await().atMost(WAIT)
                .ignoreExceptionsInstanceOf(TaskInstanceCurrentlyExecutingException.class)
                .until(() -> schedulerClient.reschedule(PARTITIONS, Instant.now()));
    }

    private static Object single(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getObject(1);
        }
    }

    private static List<String> array(Object sqlArray) {
        try {
            return List.of((String[]) ((java.sql.Array) sqlArray).getArray());
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
