package io.virtdevice.platform.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.kagkarlsson.scheduler.ScheduledExecution;
import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.exceptions.TaskInstanceCurrentlyExecutingException;
import com.github.kagkarlsson.scheduler.task.TaskInstanceId;
import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;

/** The durable housekeeping jobs really run on Boot 4, through db-scheduler and the app's transactions. */
@IntegrationTest
class MaintenanceTasksTests {

    private static final TaskInstanceId PARTITIONS =
            TaskInstanceId.of(EnsureActivityPartitionsTask.NAME, RecurringTask.INSTANCE);
    private static final TaskInstanceId PURGE = TaskInstanceId.of(PurgeSecurityEventsTask.NAME, RecurringTask.INSTANCE);
    private static final TaskInstanceId ACTIVITY_RETENTION =
            TaskInstanceId.of(DropExpiredActivityPartitionsTask.NAME, RecurringTask.INSTANCE);

    @Autowired
    ApplicationContext context;

    @Autowired
    SchedulerClient schedulerClient;

    TestDatabase db;

    @BeforeEach
    void database() {
        db = TestDatabase.of(context);
    }

    @Test
    void startsASchedulerThatKnowsBothTasks() {
        Scheduler scheduler = context.getBean(Scheduler.class);

        assertThat(scheduler.getSchedulerState().isStarted()).isTrue();
        assertThat(scheduler.getScheduledExecution(PARTITIONS)).isPresent();
        assertThat(scheduler.getScheduledExecution(PURGE)).isPresent();
        assertThat(scheduler.getScheduledExecution(ACTIVITY_RETENTION)).isPresent();
    }

    @Test
    void ranThePartitionTaskAtStartupAndScheduledTheNextDailyRun() {
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            ScheduledExecution<Object> execution = schedulerClient.getScheduledExecution(PARTITIONS).orElseThrow();
            assertThat(execution.getLastSuccess()).isNotNull();
            assertThat(execution.getExecutionTime()).isAfter(Instant.now());
            assertThat(execution.getExecutionTime()).isBefore(Instant.now().plus(Duration.ofHours(25)));
        });
    }

    @Test
    void recreatesAMissingMonthWhenItRuns() {
        String month = "activity_logs_" + YearMonth.now(ZoneOffset.UTC).plusMonths(3)
                .format(DateTimeFormatter.ofPattern("yyyy_MM"));
        Instant previousRun = awaitLastSuccess(PARTITIONS, Instant.EPOCH);
        db.superuser().sql("drop table " + month).update();

        runNow(PARTITIONS);

        awaitLastSuccess(PARTITIONS, previousRun);
        Map<String, Object> partition = db.superuser().sql("""
                        select c.relrowsecurity, c.relforcerowsecurity from pg_class c where c.relname = :name
                        """).param("name", month).query().singleRow();
        assertThat(partition).containsEntry("relrowsecurity", true).containsEntry("relforcerowsecurity", true);
    }

    @Test
    void dropsActivityPartitionsOlderThanTheRetention() {
        String expired = "activity_logs_2002_02";
        db.superuser().sql("create table " + expired + " partition of activity_logs"
                + " for values from ('2002-02-01 00:00+00') to ('2002-03-01 00:00+00')").update();
        db.superuser().sql("alter table " + expired + " enable row level security").update();
        db.superuser().sql("alter table " + expired + " force row level security").update();
        db.superuser().sql("alter table " + expired + " owner to virtdevice_owner").update();

        runNow(ACTIVITY_RETENTION);

        await().atMost(Duration.ofSeconds(20)).until(() -> db.superuser().sql("select to_regclass(:t) is null")
                .param("t", expired).query(Boolean.class).single());
        String thisMonth = "activity_logs_" + YearMonth.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy_MM"));
        assertThat(db.superuser().sql("select to_regclass(:t) is not null").param("t", thisMonth)
                .query(Boolean.class).single()).isTrue();
    }

    @Test
    void purgesSecurityEventsOlderThanThirtyDays() {
        String email = "purge-" + System.nanoTime() + "@example.test";
        db.superuser().sql("""
                        insert into security_events (kind, email, created_at) values
                            ('login_failed', :email, now() - interval '31 days'),
                            ('login_failed', :email, now() - interval '29 days')
                        """).param("email", email).update();
        Instant previousRun = schedulerClient.getScheduledExecution(PURGE).map(ScheduledExecution::getLastSuccess)
                .orElse(null);

        runNow(PURGE);

        awaitLastSuccess(PURGE, previousRun == null ? Instant.EPOCH : previousRun);
        assertThat(db.superuser().sql("select count(*) from security_events where email = :email")
                .param("email", email).query(Long.class).single()).isOne();
    }

    /** Moves the task's next run to now (after the current run, if one is in progress right now). */
    private void runNow(TaskInstanceId task) {
        await().atMost(Duration.ofSeconds(20))
                .ignoreExceptionsInstanceOf(TaskInstanceCurrentlyExecutingException.class)
                .until(() -> schedulerClient.reschedule(task, Instant.now()));
    }

    private Instant awaitLastSuccess(TaskInstanceId task, Instant after) {
        return await().atMost(Duration.ofSeconds(20)).until(
                () -> schedulerClient.getScheduledExecution(task).map(ScheduledExecution::getLastSuccess).orElse(null),
                last -> last != null && last.isAfter(after));
    }
}
