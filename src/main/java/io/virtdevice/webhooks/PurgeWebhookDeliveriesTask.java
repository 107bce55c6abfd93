package io.virtdevice.webhooks;

import com.github.kagkarlsson.scheduler.task.ExecutionContext;
import com.github.kagkarlsson.scheduler.task.TaskInstance;
import io.virtdevice.platform.jobs.DailyMaintenanceTask;
import java.time.Duration;
import java.time.LocalTime;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * {@code webhooks.purge-deliveries}: daily retention for the delivery log. Finished deliveries older than
 * {@code virtdevice.webhooks.retention-days} are deleted across tenants by a definer function, in batches
 * of {@value #BATCH} (one short transaction each). A recurring task is one row, so the cluster runs it once.
 */
@Component
class PurgeWebhookDeliveriesTask extends DailyMaintenanceTask {

    static final String NAME = "webhooks.purge-deliveries";
    static final int BATCH = 10_000;

    private static final Logger log = LoggerFactory.getLogger(PurgeWebhookDeliveriesTask.class);

    private final WebhookSettings settings;

    PurgeWebhookDeliveriesTask(JdbcClient jdbc, PlatformTransactionManager transactionManager,
            WebhookSettings settings) {
        super(NAME, LocalTime.of(1, 10), Duration.ofMinutes(30), jdbc, transactionManager);
        this.settings = settings;
    }

    @Override
    public void executeRecurringly(TaskInstance<Void> instance, ExecutionContext context) {
        long total = purgeInBatches("select app.purge_webhook_deliveries(:days, :batch)",
                Map.of("days", settings.retentionDays()), BATCH);
        log.info("Purged {} webhook deliveries older than {} days", total, settings.retentionDays());
    }
}
