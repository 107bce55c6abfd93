package io.virtdevice.platform.jobs;

import com.github.kagkarlsson.scheduler.task.FailureHandler;
import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.schedule.Schedules;
import io.virtdevice.platform.tenancy.TenantScope;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.Map;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Base of the daily housekeeping tasks (partitions, retention purges): a db-scheduler recurring task, one
 * row cluster-wide so it runs once, retried later on failure, whose work is a definer function called in a
 * transaction with no tenant context.
 */
public abstract class DailyMaintenanceTask extends RecurringTask<Void> {

    private final JdbcClient jdbc;
    private final TransactionTemplate tx;

    protected DailyMaintenanceTask(String name, LocalTime atUtc, Duration retryAfterFailure, JdbcClient jdbc,
            PlatformTransactionManager transactionManager) {
        super(name, Schedules.daily(ZoneOffset.UTC, atUtc), Void.class,
                new FailureHandler.OnFailureRetryLater<>(retryAfterFailure));
        this.jdbc = jdbc;
        this.tx = new TransactionTemplate(transactionManager);
    }

    /** Runs one statement that returns a count (rows purged, partitions created) in its own transaction. */
    protected int count(String sql, Map<String, ?> params) {
        Integer n = TenantScope.callWithoutContext(
                () -> tx.execute(s -> jdbc.sql(sql).params(params).query(Integer.class).single()));
        return n == null ? 0 : n;
    }
}
