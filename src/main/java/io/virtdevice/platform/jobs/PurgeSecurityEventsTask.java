package io.virtdevice.platform.jobs;

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
 * {@code accounts.purge-security-events}: daily retention for the pre-authentication log (failed and
 * throttled logins with email and IP): rows older than {@value #RETENTION_DAYS} days are deleted. Login
 * throttling only looks back 15 minutes, so nothing depends on older rows.
 */
@Component
class PurgeSecurityEventsTask extends RecurringTask<Void> {

    static final String NAME = "accounts.purge-security-events";
    static final int RETENTION_DAYS = 30;

    private static final Logger log = LoggerFactory.getLogger(PurgeSecurityEventsTask.class);

    private final JdbcClient jdbc;
    private final TransactionTemplate tx;

    PurgeSecurityEventsTask(JdbcClient jdbc, PlatformTransactionManager transactionManager) {
        super(NAME, Schedules.daily(ZoneOffset.UTC, LocalTime.of(0, 40)), Void.class,
                new FailureHandler.OnFailureRetryLater<>(Duration.ofMinutes(30)));
        this.jdbc = jdbc;
        this.tx = new TransactionTemplate(transactionManager);
    }

    @Override
    public void executeRecurringly(TaskInstance<Void> instance, ExecutionContext context) {
        Integer purged = TenantScope.callWithoutContext(() -> tx.execute(s -> jdbc
                .sql("select app.purge_security_events(:days)")
                .param("days", RETENTION_DAYS)
                .query(Integer.class)
                .single()));
        log.info("Purged {} security event(s) older than {} days", purged, RETENTION_DAYS);
    }
}
