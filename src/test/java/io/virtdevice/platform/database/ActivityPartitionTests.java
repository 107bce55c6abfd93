package io.virtdevice.platform.database;

import static io.virtdevice.testing.TestDatabase.refusal;
import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.platform.web.DatabaseErrors;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.Fixtures.TestUser;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TestDatabase;
import java.time.OffsetDateTime;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;

/** The monthly partitions of activity_logs and the RLS hole they must not open (D-14). */
@IntegrationTest
class ActivityPartitionTests {

    @Autowired
    ApplicationContext context;

    @Autowired
    PasswordHasher hasher;

    TestDatabase db;

    @BeforeEach
    void database() {
        db = TestDatabase.of(context);
    }

    static String partition(int monthsFromNow) {
        return "activity_logs_" + YearMonth.now(ZoneOffset.UTC).plusMonths(monthsFromNow)
                .format(DateTimeFormatter.ofPattern("yyyy_MM"));
    }

    @Test
    void ensuresTheComingMonthsIdempotently() {
        db.withoutContext(jdbc -> ensure(jdbc, 3));
        List<String> before = partitions();

        int createdAgain = db.withoutContext(jdbc -> ensure(jdbc, 3));

        assertThat(createdAgain).isZero();
        assertThat(partitions()).isEqualTo(before)
                .contains("activity_logs_default")
                .containsAll(IntStream.rangeClosed(0, 3).mapToObj(ActivityPartitionTests::partition).toList());
    }

    @Test
    void createsAMissingMonthWithForcedRowLevelSecurityAndNoGrant() {
        String month = partition(3);
        db.superuser().sql("drop table " + month).update();

        int created = db.withoutContext(jdbc -> ensure(jdbc, 3));

        assertThat(created).isOne();
        Map<String, Object> flags = db.superuser().sql("""
                        select c.relrowsecurity, c.relforcerowsecurity, c.relispartition,
                               has_table_privilege('virtdevice_app', c.oid, 'SELECT, INSERT, UPDATE, DELETE') as app_privilege,
                               pg_get_expr(c.relpartbound, c.oid) as bound
                          from pg_class c where c.relname = :name
                        """).param("name", month).query().singleRow();
        assertThat(flags).containsEntry("relrowsecurity", true)
                .containsEntry("relforcerowsecurity", true)
                .containsEntry("relispartition", true)
                .containsEntry("app_privilege", false);
        String first = YearMonth.now(ZoneOffset.UTC).plusMonths(3).atDay(1).toString();
        assertThat((String) flags.get("bound")).contains("FROM ('" + first + " 00:00:00+00')");
    }

    @Test
    void refusesAnOutOfRangeMonthCount() {
        DatabaseErrors error = refusal(() -> db.withoutContext(jdbc -> ensure(jdbc, 25)));

        assertThat(error.sqlState()).isEqualTo("22023");
    }

    @Test
    void refusesTheAppReadingAPartitionDirectly() {
        TestUser user = new Fixtures(db.dataSource(), hasher).owner();

        for (String table : List.of(partition(0), "activity_logs_default")) {
            DatabaseErrors error = refusal(() -> db.as(user.context(), jdbc ->
                    jdbc.sql("select * from " + table).query().listOfRows()));

            assertThat(error.sqlState()).as(table).isEqualTo("42501");
            assertThat(error.message()).as(table).contains("permission denied");
        }
    }

    @Test
    void routesRowsWrittenThroughTheParentToTheirMonth() {
        TestUser user = new Fixtures(db.dataSource(), hasher).owner();
        UUID now = insert(user, OffsetDateTime.now(ZoneOffset.UTC));
        UUID nextMonth = insert(user, YearMonth.now(ZoneOffset.UTC).plusMonths(1).atDay(15).atStartOfDay()
                .atOffset(ZoneOffset.UTC));
        UUID farFuture = insert(user, OffsetDateTime.of(2100, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC));

        assertThat(partitionOf(now)).isEqualTo(partition(0));
        assertThat(partitionOf(nextMonth)).isEqualTo(partition(1));
        assertThat(partitionOf(farFuture)).isEqualTo("activity_logs_default");
        long visible = db.as(user.context(), jdbc -> jdbc.sql("select count(*) from activity_logs where tenant_id = :t")
                .param("t", user.tenantId()).query(Long.class).single());
        assertThat(visible).as("read through the parent, every partition's rows").isEqualTo(3);
    }

    @Test
    void dropsOnlyMonthsThatEndedLongerThanTheRetentionAgo() {
        String expired = "activity_logs_2001_01";
        String recent = partition(-11);
        for (String table : List.of(expired, recent)) {
            YearMonth month = YearMonth.parse(table.substring(14).replace('_', '-'));
            db.superuser().sql("create table if not exists " + table + " partition of activity_logs for values from ('"
                    + month.atDay(1) + " 00:00+00') to ('" + month.plusMonths(1).atDay(1) + " 00:00+00')").update();
            db.superuser().sql("alter table " + table + " enable row level security").update();
            db.superuser().sql("alter table " + table + " force row level security").update();
            db.superuser().sql("alter table " + table + " owner to virtdevice_owner").update();
        }

        List<String> dropped = new java.util.ArrayList<>();
        String name;
        while ((name = db.withoutContext(jdbc -> jdbc.sql("select app.drop_expired_activity_partition('365 days')")
                .query(String.class).list().get(0))) != null) {
            dropped.add(name);
        }

        assertThat(dropped).contains(expired).doesNotContain(recent, partition(0), "activity_logs_default");
        assertThat(partitions()).doesNotContain(expired).contains(recent, partition(0), "activity_logs_default");
        DatabaseErrors tooShort = refusal(() -> db.withoutContext(jdbc ->
                jdbc.sql("select app.drop_expired_activity_partition('7 days')").query(String.class).list()));
        assertThat(tooShort.sqlState()).isEqualTo("22023");
    }

    private static int ensure(JdbcClient jdbc, int months) {
        return jdbc.sql("select app.ensure_activity_partitions(:months)").param("months", months)
                .query(Integer.class).single();
    }

    private List<String> partitions() {
        return db.superuser().sql("""
                        select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid
                         where i.inhparent = 'activity_logs'::regclass order by 1
                        """).query(String.class).list();
    }

    private UUID insert(TestUser user, OffsetDateTime at) {
        return db.as(user.context(), jdbc -> jdbc.sql("""
                        insert into activity_logs (tenant_id, user_id, action, source, created_at)
                        values (:t, :u, 'user.login', 'web', :at) returning id
                        """).param("t", user.tenantId()).param("u", user.userId()).param("at", at)
                .query(UUID.class).single());
    }

    private String partitionOf(UUID id) {
        return db.superuser().sql("select tableoid::regclass::text from activity_logs where id = :id").param("id", id)
                .query(String.class).single();
    }
}
