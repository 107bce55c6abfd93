package io.virtdevice.platform.jobs;

import com.github.kagkarlsson.scheduler.Clock;
import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.exceptions.TaskInstanceCurrentlyExecutingException;
import com.github.kagkarlsson.scheduler.task.ExecutionContext;
import com.github.kagkarlsson.scheduler.task.FailureHandler;
import com.github.kagkarlsson.scheduler.task.TaskInstance;
import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.schedule.Schedules;
import io.virtdevice.platform.tenancy.TenantScope;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneOffset;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * {@code activity.ensure-partitions}: keeps the monthly {@code activity_logs} partitions created
 * {@value #MONTHS_AHEAD} months ahead, daily and once at every start, so rows never pile up in the
 * default partition (which would block creating that month's partition later).
 */
@Component
class EnsureActivityPartitionsTask extends RecurringTask<Void> {

    static final String NAME = "activity.ensure-partitions";
    static final int MONTHS_AHEAD = 3;

    private static final Logger log = LoggerFactory.getLogger(EnsureActivityPartitionsTask.class);

    private final JdbcClient jdbc;
    private final TransactionTemplate tx;

    EnsureActivityPartitionsTask(JdbcClient jdbc, PlatformTransactionManager transactionManager) {
        super(NAME, Schedules.daily(ZoneOffset.UTC, LocalTime.of(0, 10)), Void.class,
                new FailureHandler.OnFailureRetryLater<>(Duration.ofMinutes(10)));
        this.jdbc = jdbc;
        this.tx = new TransactionTemplate(transactionManager);
    }

    @Override
    public void executeRecurringly(TaskInstance<Void> instance, ExecutionContext context) {
        Integer created = TenantScope.callWithoutContext(() -> tx.execute(s -> jdbc
                .sql("select app.ensure_activity_partitions(:months)")
                .param("months", MONTHS_AHEAD)
                .query(Integer.class)
                .single()));
        if (created != null && created > 0) {
            log.info("Created {} activity log partition(s)", created);
        }
    }

    /** Besides the daily run, runs right away whenever a scheduler starts (a new deployment, a restart). */
    @Override
    public void onStartup(SchedulerClient scheduler, Clock clock) {
        super.onStartup(scheduler, clock);
        try {
            scheduler.reschedule(getDefaultTaskInstance(), clock.now());
        } catch (TaskInstanceCurrentlyExecutingException e) {
            log.debug("{} is already running on another instance", NAME);
        }
    }
}
