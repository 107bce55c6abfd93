package io.virtdevice.platform.jobs;

import com.github.kagkarlsson.scheduler.Clock;
import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.exceptions.TaskInstanceCurrentlyExecutingException;
import com.github.kagkarlsson.scheduler.task.ExecutionContext;
import com.github.kagkarlsson.scheduler.task.TaskInstance;
import java.time.Duration;
import java.time.LocalTime;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * {@code activity.ensure-partitions}: keeps the monthly {@code activity_logs} partitions created
 * {@value #MONTHS_AHEAD} months ahead, daily and once at every start, so rows never pile up in the
 * default partition (which would block creating that month's partition later).
 */
@Component
class EnsureActivityPartitionsTask extends DailyMaintenanceTask {

    static final String NAME = "activity.ensure-partitions";
    static final int MONTHS_AHEAD = 3;

    private static final Logger log = LoggerFactory.getLogger(EnsureActivityPartitionsTask.class);

    EnsureActivityPartitionsTask(JdbcClient jdbc, PlatformTransactionManager transactionManager) {
        super(NAME, LocalTime.of(0, 10), Duration.ofMinutes(10), jdbc, transactionManager);
    }

    @Override
    public void executeRecurringly(TaskInstance<Void> instance, ExecutionContext context) {
        int created = count("select app.ensure_activity_partitions(:months)", Map.of("months", MONTHS_AHEAD));
        if (created > 0) {
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
