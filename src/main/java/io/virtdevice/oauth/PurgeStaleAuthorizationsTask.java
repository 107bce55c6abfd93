package io.virtdevice.oauth;

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
 * {@code oauth.purge-stale-authorizations}: daily, deletes grants that never produced a token (consent pages
 * left open, codes never redeemed) once they are a day old; their secrets expired long before.
 */
@Component
class PurgeStaleAuthorizationsTask extends RecurringTask<Void> {

    static final String NAME = "oauth.purge-stale-authorizations";

    private static final Logger log = LoggerFactory.getLogger(PurgeStaleAuthorizationsTask.class);

    private final JdbcClient jdbc;
    private final TransactionTemplate tx;

    PurgeStaleAuthorizationsTask(JdbcClient jdbc, PlatformTransactionManager transactionManager) {
        super(NAME, Schedules.daily(ZoneOffset.UTC, LocalTime.of(0, 50)), Void.class,
                new FailureHandler.OnFailureRetryLater<>(Duration.ofMinutes(30)));
        this.jdbc = jdbc;
        this.tx = new TransactionTemplate(transactionManager);
    }

    @Override
    public void executeRecurringly(TaskInstance<Void> instance, ExecutionContext context) {
        Integer purged = TenantScope.callWithoutContext(() -> tx.execute(s -> jdbc
                .sql("select app.purge_stale_oauth_authorizations()")
                .query(Integer.class)
                .single()));
        log.info("Purged {} stale OAuth authorization(s)", purged);
    }
}
