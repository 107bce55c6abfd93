package io.virtdevice.platform.jobs;

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
 * {@code accounts.purge-security-events}: daily retention for the pre-authentication log (failed and
 * throttled logins with email and IP): rows older than {@value #RETENTION_DAYS} days are deleted. Login
 * throttling only looks back 15 minutes, so nothing depends on older rows.
 */
@Component
class PurgeSecurityEventsTask extends DailyMaintenanceTask {

    static final String NAME = "accounts.purge-security-events";
    static final int RETENTION_DAYS = 30;

    private static final Logger log = LoggerFactory.getLogger(PurgeSecurityEventsTask.class);

    PurgeSecurityEventsTask(JdbcClient jdbc, PlatformTransactionManager transactionManager) {
        super(NAME, LocalTime.of(0, 40), Duration.ofMinutes(30), jdbc, transactionManager);
    }

    @Override
    public void executeRecurringly(TaskInstance<Void> instance, ExecutionContext context) {
        int purged = count("select app.purge_security_events(:days)", Map.of("days", RETENTION_DAYS));
        log.info("Purged {} security event(s) older than {} days", purged, RETENTION_DAYS);
    }
}
