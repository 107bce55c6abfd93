package io.virtdevice.platform.jobs;

import com.github.kagkarlsson.scheduler.task.FailureHandler;
import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.schedule.Schedule;
import com.github.kagkarlsson.scheduler.task.schedule.Schedules;
import io.virtdevice.platform.tenancy.TenantScope;
import java.sql.SQLException;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Base of the housekeeping tasks (partitions, retention purges), daily unless given another schedule: a
 * db-scheduler recurring task, one row cluster-wide so it runs once, retried later on failure, whose work is
 * a definer function called in a transaction with no tenant context.
 */
public abstract class DailyMaintenanceTask extends RecurringTask<Void> {

    /** How long a partition drop may wait for its lock before it gives way to the queries it would block. */
    static final Duration DROP_LOCK_TIMEOUT = Duration.ofMillis(500);
    /** Lock timeouts in a row after which a drop waits for the next run. */
    static final int DROP_ATTEMPTS = 5;
    /** Most partitions dropped in one run, so a run takes bounded time whatever piled up. */
    static final int MAX_DROPS_PER_RUN = 100;

    private static final Logger log = LoggerFactory.getLogger(DailyMaintenanceTask.class);

    private final JdbcClient jdbc;
    private final TransactionTemplate tx;

    protected DailyMaintenanceTask(String name, LocalTime atUtc, Duration retryAfterFailure, JdbcClient jdbc,
            PlatformTransactionManager transactionManager) {
        this(name, Schedules.daily(ZoneOffset.UTC, atUtc), retryAfterFailure, jdbc, transactionManager);
    }

    protected DailyMaintenanceTask(String name, Schedule schedule, Duration retryAfterFailure, JdbcClient jdbc,
            PlatformTransactionManager transactionManager) {
        super(name, schedule, Void.class, new FailureHandler.OnFailureRetryLater<>(retryAfterFailure));
        this.jdbc = jdbc;
        this.tx = new TransactionTemplate(transactionManager);
    }

    /**
     * Runs {@code sql}, a function that drops one expired partition and returns its name (null when nothing is
     * left to drop), until nothing is left, each drop in its own short transaction. Dropping a partition locks
     * its parent for a moment, and a lock waiting behind a long query would hold up every query after it; so
     * each try waits at most {@link #DROP_LOCK_TIMEOUT} and then gives way, up to {@link #DROP_ATTEMPTS} times
     * in a row before the rest waits for the next run.
     *
     * @return the partitions dropped
     */
    protected List<String> dropExpiredPartitions(String sql, Map<String, ?> params) {
        List<String> dropped = new ArrayList<>();
        int timeouts = 0;
        while (dropped.size() < MAX_DROPS_PER_RUN) {
            String name;
            try {
                name = TenantScope.callWithoutContext(() -> tx.execute(s -> {
                    jdbc.sql("select set_config('lock_timeout', :timeout, true)")
                            .param("timeout", DROP_LOCK_TIMEOUT.toMillis() + "ms").query(String.class).single();
                    List<String> result = jdbc.sql(sql).params(params).query(String.class).list();
                    return result.isEmpty() ? null : result.get(0);
                }));
            } catch (DataAccessException e) {
                if (!lockTimeout(e) || ++timeouts >= DROP_ATTEMPTS) {
                    if (lockTimeout(e)) {
                        log.warn("{}: a partition drop gave way to other queries {} times; trying again next run",
                                getName(), timeouts);
                        return dropped;
                    }
                    throw e;
                }
                pause(timeouts);
                continue;
            }
            if (name == null) {
                return dropped;
            }
            dropped.add(name);
            timeouts = 0;
        }
        return dropped;
    }

    private static boolean lockTimeout(DataAccessException e) {
        return e.getMostSpecificCause() instanceof SQLException sql && "55P03".equals(sql.getSQLState());
    }

    private static void pause(int attempt) {
        try {
            Thread.sleep(200L * attempt);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Runs {@code sql}, a purge function that deletes at most {@code :batch} rows and returns how many, until a
     * call deletes fewer: each batch in its own short transaction, so a large backlog never holds one long
     * transaction or a long lock.
     *
     * @return the rows deleted
     */
    protected long purgeInBatches(String sql, Map<String, ?> params, int batch) {
        Map<String, Object> withBatch = new HashMap<>(params);
        withBatch.put("batch", batch);
        long total = 0;
        int deleted;
        do {
            deleted = count(sql, withBatch);
            total += deleted;
        } while (deleted == batch);
        return total;
    }

    /** Runs one statement that returns a count (rows purged, partitions created) in its own transaction. */
    protected int count(String sql, Map<String, ?> params) {
        Integer n = TenantScope.callWithoutContext(
                () -> tx.execute(s -> jdbc.sql(sql).params(params).query(Integer.class).single()));
        return n == null ? 0 : n;
    }

    /** {@link #count(String, Map)} whose locks wait at most {@code lockTimeout} (then the run fails and is retried). */
    protected int count(String sql, Map<String, ?> params, Duration lockTimeout) {
        Integer n = TenantScope.callWithoutContext(() -> tx.execute(s -> {
            jdbc.sql("select set_config('lock_timeout', :timeout, true)")
                    .param("timeout", lockTimeout.toMillis() + "ms").query(String.class).single();
            return jdbc.sql(sql).params(params).query(Integer.class).single();
        }));
        return n == null ? 0 : n;
    }
}
