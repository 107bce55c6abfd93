package io.virtdevice.events;

import com.github.kagkarlsson.scheduler.Clock;
import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.exceptions.TaskInstanceCurrentlyExecutingException;
import com.github.kagkarlsson.scheduler.task.ExecutionContext;
import com.github.kagkarlsson.scheduler.task.TaskInstance;
import com.github.kagkarlsson.scheduler.task.schedule.Schedules;
import io.virtdevice.platform.jobs.DailyMaintenanceTask;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * {@code events.partitions}: hourly and once at every start, keeps {@code device_events} partitions (ranges of
 * writing transaction ids, about {@link #span} each) created ahead, and drops the oldest ones once every event in them
 * is processed and older than {@code virtdevice.events.retention} (see migration V003).
 */
@Component
class DeviceEventPartitionsTask extends DailyMaintenanceTask {

    static final String NAME = "events.partitions";
    /**
     * The smallest partition, in transaction ids: a quiet instance keeps few, larger partitions. A busy one
     * (200 changes/s is about 50 million ids a day) gets one partition per span, sized from the measured rate.
     */
    static final long MIN_PARTITION_XIDS = 10_000_000;

    private static final Logger log = LoggerFactory.getLogger(DeviceEventPartitionsTask.class);

    private final EventRetentionSettings settings;

    DeviceEventPartitionsTask(JdbcClient jdbc, PlatformTransactionManager transactionManager,
            EventRetentionSettings settings) {
        super(NAME, Schedules.fixedDelay(Duration.ofHours(1)), Duration.ofMinutes(5), jdbc, transactionManager);
        this.settings = settings;
    }

    @Override
    public void executeRecurringly(TaskInstance<Void> instance, ExecutionContext context) {
        // attaching a partition locks the default partition for a moment: never queue behind a long query
        int created = count("select app.ensure_device_event_partitions(:min, cast(:span as interval))",
                Map.of("min", MIN_PARTITION_XIDS, "span", span(settings.retention()).toSeconds() + " seconds"),
                Duration.ofSeconds(2));
        if (created > 0) {
            log.info("Created {} device event partition(s)", created);
        }
        List<String> dropped = dropExpiredPartitions(
                "select app.drop_expired_device_event_partition(cast(:keep as interval))",
                Map.of("keep", settings.retention().toSeconds() + " seconds"));
        if (!dropped.isEmpty()) {
            log.info("Dropped device event partition(s) older than {}: {}", settings.retention(), dropped);
        }
    }

    /**
     * How much time one partition covers: a twelfth of the retention, between a day and a week (a week at the
     * default 90 days). Events are kept up to one span longer than the retention, and about 14 partitions
     * exist: queries that cannot be pruned probe each one.
     */
    static Duration span(Duration retention) {
        Duration span = retention.dividedBy(12);
        return span.compareTo(Duration.ofDays(1)) < 0 ? Duration.ofDays(1)
                : span.compareTo(Duration.ofDays(7)) > 0 ? Duration.ofDays(7) : span;
    }

    /** Besides the hourly run, runs right away whenever a scheduler starts (a new deployment, a restart). */
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
