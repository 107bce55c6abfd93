package io.virtdevice.webhooks;

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
 * {@code webhooks.purge-deliveries}: daily retention for the delivery log. Finished deliveries older than
 * {@code virtdevice.webhooks.retention-days} are deleted across tenants by a definer function, in batches
 * of {@value #BATCH} (one short transaction each). A recurring task is one row, so the cluster runs it once.
 */
@Component
class PurgeWebhookDeliveriesTask extends RecurringTask<Void> {

    static final String NAME = "webhooks.purge-deliveries";
    static final int BATCH = 10_000;

    private static final Logger log = LoggerFactory.getLogger(PurgeWebhookDeliveriesTask.class);

    private final JdbcClient jdbc;
    private final TransactionTemplate tx;
    private final WebhookSettings settings;

    PurgeWebhookDeliveriesTask(JdbcClient jdbc, PlatformTransactionManager transactionManager,
            WebhookSettings settings) {
        super(NAME, Schedules.daily(ZoneOffset.UTC, LocalTime.of(1, 10)), Void.class,
                new FailureHandler.OnFailureRetryLater<>(Duration.ofMinutes(30)));
        this.jdbc = jdbc;
        this.tx = new TransactionTemplate(transactionManager);
        this.settings = settings;
    }

    @Override
    public void executeRecurringly(TaskInstance<Void> instance, ExecutionContext context) {
        long total = 0;
        int deleted;
        do {
            Integer n = TenantScope.callWithoutContext(() -> tx.execute(s -> jdbc
                    .sql("select app.purge_webhook_deliveries(:days, :batch)")
                    .param("days", settings.retentionDays())
                    .param("batch", BATCH)
                    .query(Integer.class)
                    .single()));
            deleted = n == null ? 0 : n;
            total += deleted;
        } while (deleted == BATCH);
        log.info("Purged {} webhook deliveries older than {} days", total, settings.retentionDays());
    }
}
