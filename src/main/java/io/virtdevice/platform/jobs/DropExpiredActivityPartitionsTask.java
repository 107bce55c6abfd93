package io.virtdevice.platform.jobs;

import com.github.kagkarlsson.scheduler.task.ExecutionContext;
import com.github.kagkarlsson.scheduler.task.TaskInstance;
import java.time.Duration;
import java.time.LocalTime;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * {@code activity.drop-expired-partitions}: daily retention for the activity log. A monthly partition goes
 * as a whole once its month ended more than {@code virtdevice.activity.retention} ago (default 365 days), so
 * the log keeps between one year and one year and a month.
 */
@Component
class DropExpiredActivityPartitionsTask extends DailyMaintenanceTask {

    static final String NAME = "activity.drop-expired-partitions";

    private static final Logger log = LoggerFactory.getLogger(DropExpiredActivityPartitionsTask.class);

    private final ActivityRetentionSettings settings;

    DropExpiredActivityPartitionsTask(JdbcClient jdbc, PlatformTransactionManager transactionManager,
            ActivityRetentionSettings settings) {
        super(NAME, LocalTime.of(0, 20), Duration.ofMinutes(30), jdbc, transactionManager);
        this.settings = settings;
    }

    @Override
    public void executeRecurringly(TaskInstance<Void> instance, ExecutionContext context) {
        List<String> dropped = dropExpiredPartitions("select app.drop_expired_activity_partition(cast(:keep as interval))",
                Map.of("keep", settings.retention().toSeconds() + " seconds"));
        if (!dropped.isEmpty()) {
            log.info("Dropped activity log partition(s) older than {}: {}", settings.retention(), dropped);
        }
    }
}
