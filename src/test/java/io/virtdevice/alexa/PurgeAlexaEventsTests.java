package io.virtdevice.alexa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TestDatabase;
import java.sql.SQLException;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * {@code alexa.purge-events}: finished outbox rows older than {@code history-retention} (30 days) go, across
 * tenants; recent ones (the diagnostics' history and 24 h counts) and pending or held ones stay; the app role
 * still sees and deletes only its own user's rows.
 */
@IntegrationTest
class PurgeAlexaEventsTests {

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    @Autowired
    ApplicationContext context;

    @Autowired
    PurgeAlexaEventsTask task;

    Fixtures fixtures;
    TestDatabase db;
    JdbcClient superuser;

    @BeforeEach
    void setUp() {
        fixtures = new Fixtures(dataSource, hasher);
        db = TestDatabase.of(context);
        superuser = db.superuser();
    }

    @Test
    void deletesFinishedEventsOlderThanTheRetentionOfEveryTenantAndKeepsRecentAndPendingOnes() {
        Fixtures.TestUser a = fixtures.owner();
        Fixtures.TestUser b = fixtures.owner();
        for (Fixtures.TestUser user : List.of(a, b)) {
            row(user, "old-sent", "sent", "31 days");
            row(user, "old-failed", "failed", "31 days");
            row(user, "old-expired", "expired", "400 days");
            row(user, "recent-sent", "sent", "29 days");
            row(user, "recent-failed", "failed", "1 hour");
            row(user, "old-pending", "pending", null);
            row(user, "old-held", "pending", null);
        }
        superuser.sql("""
                update alexa_event_outbox set delayed = 3, next_attempt_at = now() + interval '1 minute'
                 where endpoint_id = 'old-held' and user_id in (:a, :b)
                """).param("a", a.userId()).param("b", b.userId()).update();

        assertThat(task.purge()).isGreaterThanOrEqualTo(6);

        for (Fixtures.TestUser user : List.of(a, b)) {
            assertThat(endpoints(user)).as("what is left of %s's outbox", user.email())
                    .containsExactlyInAnyOrder("recent-sent", "recent-failed", "old-pending", "old-held");
        }
        task.purge();
        assertThat(endpoints(a)).as("a second run keeps them").hasSize(4);
    }

    @Test
    void leavesRowLevelSecurityAsItWas() {
        Fixtures.TestUser a = fixtures.owner();
        Fixtures.TestUser b = fixtures.owner();
        row(a, "a-recent", "sent", "1 hour");
        row(b, "b-recent", "sent", "1 hour");

        List<String> seen = db.as(a.context(), jdbc -> jdbc.sql("select endpoint_id from alexa_event_outbox")
                .query(String.class).list());
        assertThat(seen).containsExactly("a-recent");
        int deleted = db.as(a.context(), jdbc -> jdbc.sql("delete from alexa_event_outbox").update());
        assertThat(deleted).as("the app role deletes only its own user's rows").isEqualTo(1);
        assertThat(endpoints(b)).containsExactly("b-recent");
        long withoutContext = db.withoutContext(jdbc -> jdbc.sql("select count(*) from alexa_event_outbox")
                .query(Long.class).single());
        assertThat(withoutContext).as("no context, no rows").isZero();
        // the app role may call the purge, but not with a retention under a day (it cannot empty the table)
        assertThatThrownBy(() -> db.as(a.context(), jdbc -> jdbc.sql("select app.purge_alexa_events(60, 100)")
                        .query(Integer.class).single()))
                .isInstanceOfSatisfying(DataAccessException.class, e -> assertThat(
                        ((SQLException) e.getMostSpecificCause()).getSQLState()).isEqualTo("22023"));
        assertThat(endpoints(b)).containsExactly("b-recent");
    }

    @Test
    void isScheduledOnceForTheCluster() {
        assertThat(superuser.sql("select count(*) from scheduled_tasks where task_name = :name")
                .param("name", PurgeAlexaEventsTask.NAME).query(Long.class).single()).isEqualTo(1);
    }

    /** A row of {@code user}'s outbox, finished {@code age} ago (null: pending). */
    private void row(Fixtures.TestUser user, String endpoint, String status, String age) {
        superuser.sql("""
                insert into alexa_event_outbox (id, tenant_id, user_id, endpoint_id, kind, body, last_event_seq,
                                                first_change_at, last_change_at, status, finished_at)
                values (:id, :t, :u, :endpoint, 'ChangeReport', '[]', 1, now(), now(), :status,
                        now() - cast(:age as interval))
                """)
                .param("id", UUID.randomUUID())
                .param("t", user.tenantId())
                .param("u", user.userId())
                .param("endpoint", endpoint)
                .param("status", status)
                .param("age", age)
                .update();
    }

    private List<String> endpoints(Fixtures.TestUser user) {
        return superuser.sql("select endpoint_id from alexa_event_outbox where user_id = :u")
                .param("u", user.userId()).query(String.class).list();
    }
}
