package io.virtdevice.platform.database;

import static org.assertj.core.api.Assertions.assertThat;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The relay, the retention floor and retention's "newest event of a range" read only the {@code device_events}
 * partitions they need (issue 14 §2), and the relay still hands on every event exactly once, whichever range
 * it lies in.
 *
 * <p>A server of its own, so that transaction ids are this test's to spend: the migrated database's ranges
 * ahead are replaced by small ones (a hundred ids each) and events are written by real transactions (their
 * {@code tx_id}, {@code seq} and {@code occurred_at} are the columns' defaults, as for the app), one range
 * after another, with the ranges sealed by the real job function in between, and one writer that stays open
 * across a range boundary and commits after newer events. Which partitions a statement reads is taken from its
 * executed plan (auto_explain, reported to the client), with the functions called through the app role.
 */
class DeviceEventPartitionReadsTests {

    private static final String CONSUMER = "partition-reads-test";
    private static final Pattern SCANNED = Pattern.compile("\\bon (device_events_[0-9a-z_]+)");

    @TempDir
    static Path temp;

    static EmbeddedPostgres postgres;
    static String url;
    /** The ranges in the order written: r0, r1, r2, then one ahead that no event reaches. */
    static List<String> ranges = new ArrayList<>();
    static List<long[]> bounds = new ArrayList<>();
    /** The events' seqs in the order of their seq: e1, e2 (r0); e3, e4 (late writer), e5 (r1); e6, e7, e8 (r2). */
    static List<Long> seqs = new ArrayList<>();
    static String firstRange;

    @BeforeAll
    static void layout() throws Exception {
        postgres = MigrationUpgradeTests.server(temp);
        url = MigrationUpgradeTests.url(postgres);
        MigrationUpgradeTests.flyway(url, "classpath:db/migration").load().migrate();

        try (Connection su = superuser(); Statement st = su.createStatement()) {
            firstRange = string(st, "select name from device_event_partitions order by from_tx limit 1");
            long top = number(st, """
                    select to_tx::text::bigint from device_event_partitions where name = '%s'""".formatted(firstRange));
            // the migration's ranges ahead hold no event: small ones replace them, from the first one's end
            su.setAutoCommit(false);
            try (ResultSet rs = st.executeQuery("select name from device_event_partitions where name <> '"
                    + firstRange + "'")) {
                List<String> ahead = new ArrayList<>();
                while (rs.next()) {
                    ahead.add(rs.getString(1));
                }
                for (String name : ahead) {
                    st.execute("drop table " + name);
                }
            }
            st.execute("delete from device_event_partitions where name <> '" + firstRange + "'");
            long next = number(st, "select pg_snapshot_xmax(pg_current_snapshot())::text::bigint");
            // r2 is wide: every relay pass and position update of the tests takes an id too, and the range
            // ahead must stay ahead
            long[] ends = {next + 100, next + 200, next + 100_200, next + 101_200};
            long from = top;
            for (long to : ends) {
                String name = "device_events_" + from;
                st.execute("create table " + name + " (like device_events including defaults including constraints)");
                st.execute("alter table " + name + " enable row level security");
                st.execute("alter table " + name + " force row level security");
                st.execute("alter table " + name + " owner to virtdevice_owner");
                st.execute("alter table device_events attach partition " + name
                        + " for values from ('" + from + "') to ('" + to + "')");
                st.execute("insert into device_event_partitions (name, from_tx, to_tx, created_xid) values ('"
                        + name + "', '" + from + "', '" + to + "', '" + from + "')");
                ranges.add(name);
                bounds.add(new long[] {from, to});
                from = to;
            }
            su.commit();
            su.setAutoCommit(true);
        }
        try (Connection app = superuser(); Statement st = app.createStatement()) {
            st.execute("set role virtdevice_app");
            st.execute("select app.register_event_consumer('" + CONSUMER + "')");
        }

        // r0: two writers
        seqs.add(event());
        seqs.add(event());
        spendTo(bounds.get(1)[0]);
        seal();
        // r1: a writer, then one that stays open across the boundary, then another
        seqs.add(event());
        try (Connection late = superuser()) {
            late.setAutoCommit(false);
            seqs.add(insertEvent(late, UUID.randomUUID()));
            seqs.add(event());
            spendTo(bounds.get(2)[0]);
            seal();
            assertThat(sealedSeq(ranges.get(1))).as("r1 is not sealed while one of its writers runs").isNull();
            late.commit();
        }
        seal();
        // r2: a writer, then one that writes two events
        seqs.add(event());
        try (Connection two = superuser()) {
            two.setAutoCommit(false);
            seqs.add(insertEvent(two, UUID.randomUUID()));
            seqs.add(insertEvent(two, UUID.randomUUID()));
            two.commit();
        }

        List<String> where = new ArrayList<>();
        for (long seq : seqs) {
            where.add(rangeOf(seq));
        }
        assertThat(where).containsExactly(ranges.get(0), ranges.get(0), ranges.get(1), ranges.get(1), ranges.get(1),
                ranges.get(2), ranges.get(2), ranges.get(2));
        assertThat(sealedSeq(ranges.get(0))).isEqualTo(seqs.get(1));
        assertThat(sealedSeq(ranges.get(1))).isEqualTo(seqs.get(4));
        assertThat(sealedSeq(ranges.get(2))).isNull();
    }

    @AfterAll
    static void stop() throws IOException {
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void relaysEveryEventOnceAcrossSealedRangesAndBoundaries() throws SQLException {
        for (int limit : new int[] {1, 2, 3, 1000}) {
            setPosition(0);
            List<Long> relayed = new ArrayList<>();
            for (int pass = 0; pass < 20; pass++) {
                Relayed relayedNow = relay(limit);
                List<Long> batch = relayedNow.seqs();
                if (batch.isEmpty()) {
                    assertThat(relayedNow.minTx()).isNull();
                    assertThat(relayedNow.maxTx()).isNull();
                    break;
                }
                // the writers' range the dispatcher reads the batch's events from: exactly theirs
                List<Long> txs = new ArrayList<>();
                for (long seq : batch) {
                    txs.add(txOf(seq));
                }
                assertThat(relayedNow.minTx()).as("limit %d, batch %s", limit, batch).isEqualTo(
                        txs.stream().min(Long::compare).orElseThrow());
                assertThat(relayedNow.maxTx()).as("limit %d, batch %s", limit, batch).isEqualTo(
                        txs.stream().max(Long::compare).orElseThrow());
                relayed.addAll(batch);
                setPosition(batch.get(batch.size() - 1));
            }
            assertThat(relayed).as("limit %d", limit).containsExactlyElementsOf(seqs);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"force_custom_plan", "force_generic_plan"})
    void relayReadsOnlyTheRangesThatCanHoldEventsAfterThePosition(String planCacheMode) throws SQLException {
        // before every seal: every range and the default partition (nothing below the first range is sealed)
        setPosition(0);
        Relayed all = relay(1000, planCacheMode);
        assertThat(all.seqs()).containsExactlyElementsOf(seqs);
        assertThat(all.scanned()).containsExactlyInAnyOrder(firstRange, ranges.get(0), ranges.get(1), ranges.get(2),
                "device_events_default");

        // past r0's seal: r1 and r2; the range ahead (above the snapshot's xmax) and the default are pruned too
        setPosition(seqs.get(1));
        Relayed afterR0 = relay(1000, planCacheMode);
        assertThat(afterR0.seqs()).containsExactlyElementsOf(seqs.subList(2, seqs.size()));
        assertThat(afterR0.scanned()).containsExactlyInAnyOrder(ranges.get(1), ranges.get(2));

        // inside r1 but before its seal (the late writer's event, taken before r1's last one): still r1 and r2
        setPosition(seqs.get(3));
        Relayed insideR1 = relay(1000, planCacheMode);
        assertThat(insideR1.seqs()).containsExactlyElementsOf(seqs.subList(4, seqs.size()));
        assertThat(insideR1.scanned()).containsExactlyInAnyOrder(ranges.get(1), ranges.get(2));

        // past r1's seal: the newest range alone
        setPosition(seqs.get(4));
        Relayed newest = relay(1000, planCacheMode);
        assertThat(newest.seqs()).containsExactlyElementsOf(seqs.subList(5, seqs.size()));
        assertThat(newest.scanned()).containsExactly(ranges.get(2));
        if (planCacheMode.equals("force_generic_plan")) {
            assertThat(newest.plan()).contains("Subplans Removed");
        }
        // a merge of the seq indexes that stops after the limit, never a sort of every event after the position
        for (Relayed r : List.of(all, afterR0, insideR1, newest)) {
            assertThat(r.plan()).doesNotContainPattern("->  Sort\\b").contains("_seq_idx on ");
        }
    }

    @Test
    void retentionFloorReadsOnlyTheRangesAfterTheLeastPosition() throws SQLException {
        try (Connection c = superuser(); Statement st = c.createStatement()) {
            // every consumer (the migration's own 'webhooks' one too) has passed r1
            st.execute("update event_consumer_positions set seq = " + seqs.get(4));
        }
        try (Connection app = superuser()) {
            String floor;
            List<String> plans = explained(app, "set plan_cache_mode = force_generic_plan");
            try (Statement st = app.createStatement();
                    ResultSet rs = st.executeQuery("select app.device_events_retention_floor()::text::bigint")) {
                rs.next();
                floor = rs.getString(1);
                plans.addAll(notices(st.getWarnings()));
            }
            // the oldest writer after the position: r2's first
            assertThat(Long.parseLong(floor)).isBetween(bounds.get(2)[0], bounds.get(2)[1] - 1);
            String statement = only(plans, "min(e.tx_id)");
            assertThat(scanned(statement)).containsExactly(ranges.get(2));
        }
    }

    @Test
    void newestInReadsTheRangesPartitionBackwardsByItsSeqIndex() throws SQLException {
        try (Connection owner = superuser()) {
            // even on a partition of a few rows, where a sort would cost nothing: the function's plan never sorts
            // (no index gives the old order, tx_id DESC, seq DESC, since V007, so that could not hold before)
            List<String> plans = explained(owner, "set plan_cache_mode = force_generic_plan",
                    "set role virtdevice_owner");
            for (int r = 0; r < 3; r++) {
                long[] range = bounds.get(r);
                String newest;
                try (Statement st = owner.createStatement();
                        ResultSet rs = st.executeQuery("select app.device_events_newest_in('" + range[0] + "', '"
                                + range[1] + "')::text")) {
                    rs.next();
                    newest = rs.getString(1);
                    plans.addAll(notices(st.getWarnings()));
                }
                // the start of the range's last writer: the last event inserted (the late writer ended before it)
                long last = List.of(seqs.get(1), seqs.get(4), seqs.get(7)).get(r);
                assertThat(newest).as("range %d", r).isEqualTo(occurredAt(last));
                String statement = only(plans, "ORDER BY e.seq DESC");
                assertThat(scanned(statement)).containsExactly(ranges.get(r));
                assertThat(statement).contains("Index Scan Backward using " + ranges.get(r) + "_seq_idx")
                        .doesNotContainPattern("->  Sort\\b");
                plans.clear();
            }
            try (Statement st = owner.createStatement();
                    ResultSet rs = st.executeQuery("select app.device_events_newest_in('" + bounds.get(3)[0] + "', '"
                            + bounds.get(3)[1] + "')")) {
                rs.next();
                assertThat(rs.getObject(1)).as("an empty range").isNull();
            }
        }
    }

    record Relayed(List<Long> seqs, String plan, Set<String> scanned, Long minTx, Long maxTx) {
    }

    private static Relayed relay(int limit) throws SQLException {
        return relay(limit, "force_custom_plan");
    }

    /** One relay pass of the test consumer as the app calls it; its events' seqs and its read's plan. */
    private static Relayed relay(int limit, String planCacheMode) throws SQLException {
        try (Connection app = superuser()) {
            app.setAutoCommit(false);
            List<String> plans = explained(app, "set plan_cache_mode = " + planCacheMode);
            List<Long> relayed = new ArrayList<>();
            Long minTx;
            Long maxTx;
            try (PreparedStatement ps = app.prepareStatement("select * from app.device_events_relay(?, ?)")) {
                ps.setString(1, CONSUMER);
                ps.setInt(2, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    assertThat(rs.getBoolean("busy")).isFalse();
                    java.sql.Array array = rs.getArray("seqs");
                    if (array != null) {
                        for (Long seq : (Long[]) array.getArray()) {
                            relayed.add(seq);
                        }
                    }
                    String min = rs.getString("min_tx");
                    String max = rs.getString("max_tx");
                    minTx = min == null ? null : Long.valueOf(min);
                    maxTx = max == null ? null : Long.valueOf(max);
                }
                plans.addAll(notices(ps.getWarnings()));
            }
            app.rollback();
            String plan = only(plans, "e.seq > v_pos");
            return new Relayed(relayed, plan, scanned(plan), minTx, maxTx);
        }
    }

    /**
     * A connection reporting the plan of every statement it runs, nested ones included, as notices: auto_explain
     * is loaded and set by the superuser, then the session becomes the app role ({@code set role}: the app's
     * own privileges from there on) unless a setting names another role.
     */
    private static List<String> explained(Connection superuser, String... settings) throws SQLException {
        try (Statement st = superuser.createStatement()) {
            st.execute("load 'auto_explain'");
            st.execute("set auto_explain.log_min_duration = 0");
            st.execute("set auto_explain.log_analyze = on");
            st.execute("set auto_explain.log_nested_statements = on");
            st.execute("set auto_explain.log_level = notice");
            st.execute("set client_min_messages = notice");
            boolean roleSet = false;
            for (String setting : settings) {
                st.execute(setting);
                roleSet |= setting.startsWith("set role");
            }
            if (!roleSet) {
                st.execute("set role virtdevice_app");
            }
        }
        return new ArrayList<>();
    }

    private static List<String> notices(SQLWarning warning) {
        List<String> messages = new ArrayList<>();
        for (SQLWarning w = warning; w != null; w = w.getNextWarning()) {
            messages.add(w.getMessage());
        }
        return messages;
    }

    /** The one plan whose query text contains {@code marker}. */
    private static String only(List<String> plans, String marker) {
        List<String> matching = plans.stream().filter(p -> p.contains("Query Text:") && p.contains(marker)).toList();
        assertThat(matching).as("plans of statements containing '%s' among %s", marker, plans).hasSize(1);
        return matching.get(0);
    }

    private static Set<String> scanned(String plan) {
        Set<String> names = new TreeSet<>();
        Matcher m = SCANNED.matcher(plan);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    // --- the layout ---------------------------------------------------------------------------------------

    private static Connection superuser() throws SQLException {
        return DriverManager.getConnection(url, "postgres", "");
    }

    /** One event written by a transaction of its own; its seq. */
    private static long event() throws SQLException {
        try (Connection c = superuser()) {
            return insertEvent(c, UUID.randomUUID());
        }
    }

    private static long insertEvent(Connection c, UUID device) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                insert into device_events (tenant_id, user_id, device_id, device_name, device_type, kind, source,
                                           device_version)
                values (?, ?, ?, 'Lamp', 'switch', 'property.changed', 'api', 1)
                returning seq""")) {
            ps.setObject(1, UUID.randomUUID());
            ps.setObject(2, UUID.randomUUID());
            ps.setObject(3, device);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** Spends transaction ids until the next one is at least {@code xid}. */
    private static void spendTo(long xid) throws SQLException {
        try (Connection c = superuser(); Statement st = c.createStatement()) {
            long next = number(st, "select pg_snapshot_xmax(pg_current_snapshot())::text::bigint");
            st.execute("""
                    do $$ begin
                      for i in 1..%d loop perform pg_current_xact_id(); commit; end loop;
                    end $$""".formatted(Math.max(0, xid - next)));
            assertThat(number(st, "select pg_snapshot_xmax(pg_current_snapshot())::text::bigint"))
                    .isGreaterThanOrEqualTo(xid);
        }
    }

    /** The events.partitions job's first step, as the app runs it: seals every range all of whose writers ended. */
    private static void seal() throws SQLException {
        try (Connection c = superuser(); Statement st = c.createStatement()) {
            st.execute("set role virtdevice_app");
            st.execute("select app.ensure_device_event_partitions(1000, interval '1 hour')");
        }
    }

    private static void setPosition(long seq) throws SQLException {
        try (Connection c = superuser(); Statement st = c.createStatement()) {
            st.execute("update event_consumer_positions set seq = " + seq
                    + ", fence_seq = null, fence_holders = null where consumer = '" + CONSUMER + "'");
        }
    }

    private static String rangeOf(long seq) throws SQLException {
        try (Connection c = superuser(); Statement st = c.createStatement()) {
            return string(st, "select tableoid::regclass::text from device_events where seq = " + seq);
        }
    }

    private static long txOf(long seq) throws SQLException {
        try (Connection c = superuser(); Statement st = c.createStatement()) {
            return number(st, "select tx_id::text::bigint from device_events where seq = " + seq);
        }
    }

    private static Long sealedSeq(String range) throws SQLException {
        try (Connection c = superuser(); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("select sealed_seq from device_event_partitions where name = '"
                        + range + "'")) {
            rs.next();
            long v = rs.getLong(1);
            return rs.wasNull() ? null : v;
        }
    }

    private static String occurredAt(long seq) throws SQLException {
        try (Connection c = superuser(); Statement st = c.createStatement()) {
            return string(st, "select occurred_at::text from device_events where seq = " + seq);
        }
    }

    private static String string(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static long number(Statement st, String sql) throws SQLException {
        return Long.parseLong(string(st, sql));
    }
}
