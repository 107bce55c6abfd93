package io.virtdevice.oauth;

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
 * {@code oauth.purge-stale-authorizations}: daily, deletes grants that never produced a token (consent pages
 * left open, codes never redeemed) once they are a day old; their secrets expired long before.
 */
@Component
class PurgeStaleAuthorizationsTask extends DailyMaintenanceTask {

    static final String NAME = "oauth.purge-stale-authorizations";

    private static final Logger log = LoggerFactory.getLogger(PurgeStaleAuthorizationsTask.class);

    PurgeStaleAuthorizationsTask(JdbcClient jdbc, PlatformTransactionManager transactionManager) {
        super(NAME, LocalTime.of(0, 50), Duration.ofMinutes(30), jdbc, transactionManager);
    }

    @Override
    public void executeRecurringly(TaskInstance<Void> instance, ExecutionContext context) {
        int purged = count("select app.purge_stale_oauth_authorizations()", Map.of());
        log.info("Purged {} stale OAuth authorization(s)", purged);
    }
}
