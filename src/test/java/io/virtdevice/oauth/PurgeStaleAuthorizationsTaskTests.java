package io.virtdevice.oauth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.kagkarlsson.scheduler.ScheduledExecution;
import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.exceptions.TaskInstanceCurrentlyExecutingException;
import com.github.kagkarlsson.scheduler.task.TaskInstanceId;
import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;
import org.springframework.boot.test.web.server.LocalServerPort;

/** Grants that never produced a token are deleted after a day; grants with tokens stay. */
@IntegrationTest
class PurgeStaleAuthorizationsTaskTests {

    private static final TaskInstanceId PURGE =
            TaskInstanceId.of(PurgeStaleAuthorizationsTask.NAME, RecurringTask.INSTANCE);

    @LocalServerPort
    int port;

    @Autowired
    ApplicationContext context;

    @Autowired
    SchedulerClient scheduler;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    @Test
    void deletesDayOldGrantsWithoutTokensAndKeepsTheRest() {
        TestDatabase db = TestDatabase.of(context);
        Fixtures.TestUser user = new Fixtures(dataSource, hasher).owner();
        new OAuthFlow(port).link(OAuthFlow.ALEXA, "read", user.email());
        UUID client = db.superuser().sql("select id from oauth_clients where client_id = :c")
                .param("c", OAuthFlow.ALEXA).query(UUID.class).single();
        // the linked grant (with tokens) is old too
        db.superuser().sql("update oauth_authorizations set created_at = now() - interval '2 days' where user_id = :u")
                .param("u", user.userId()).update();
        UUID stale = insertGrant(db, user, client, "2 days");
        insertGrant(db, user, client, "1 hour");
        Instant previous = scheduler.getScheduledExecution(PURGE).map(ScheduledExecution::getLastSuccess)
                .orElse(Instant.EPOCH);

        await().atMost(Duration.ofSeconds(20))
                .ignoreExceptionsInstanceOf(TaskInstanceCurrentlyExecutingException.class)
                .until(() -> scheduler.reschedule(PURGE, Instant.now()));
        await().atMost(Duration.ofSeconds(20)).until(() -> scheduler.getScheduledExecution(PURGE)
                .map(ScheduledExecution::getLastSuccess).filter(last -> last.isAfter(previous)).isPresent());

        long staleLeft = db.superuser().sql("select count(*) from oauth_authorizations where id = :id")
                .param("id", stale).query(Long.class).single();
        long left = db.superuser().sql("select count(*) from oauth_authorizations where user_id = :u")
                .param("u", user.userId()).query(Long.class).single();
        assertThat(staleLeft).isZero();
        assertThat(left).as("the linked grant (old, with tokens) and the fresh pending one").isEqualTo(2);
    }

    private static UUID insertGrant(TestDatabase db, Fixtures.TestUser user, UUID client, String age) {
        return db.superuser().sql("""
                        insert into oauth_authorizations (id, tenant_id, user_id, client_id, client_type, requested_scopes,
                                                          created_at)
                        values (gen_random_uuid(), :t, :u, :c, 'alexa', '{read}', now() - cast(:age as interval))
                        returning id
                        """)
                .param("t", user.tenantId()).param("u", user.userId()).param("c", client).param("age", age)
                .query(UUID.class).single();
    }
}
