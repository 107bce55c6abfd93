package io.virtdevice.limits;

import com.github.kagkarlsson.scheduler.task.ExecutionContext;
import com.github.kagkarlsson.scheduler.task.FailureHandler;
import com.github.kagkarlsson.scheduler.task.TaskInstance;
import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.schedule.Schedules;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * {@code limits.purge-buckets}: every 5 minutes, deletes expired rate-limit buckets (full again, so worth
 * nothing) in batches of 1000, up to 100 batches a run; a no-op on Redis, which expires its keys itself.
 */
@Component
class PurgeRateLimitBucketsTask extends RecurringTask<Void> {

    static final String NAME = "limits.purge-buckets";

    private static final Logger log = LoggerFactory.getLogger(PurgeRateLimitBucketsTask.class);

    private final LimitBuckets buckets;

    PurgeRateLimitBucketsTask(LimitBuckets buckets) {
        super(NAME, Schedules.fixedDelay(Duration.ofMinutes(5)), Void.class,
                new FailureHandler.OnFailureRetryLater<>(Duration.ofMinutes(5)));
        this.buckets = buckets;
    }

    @Override
    public void executeRecurringly(TaskInstance<Void> instance, ExecutionContext context) {
        int total = 0;
        for (int batch = 0; batch < 100; batch++) {
            int removed = buckets.removeExpired(1000);
            total += removed;
            if (removed < 1000) {
                break;
            }
        }
        if (total > 0) {
            log.info("Purged {} expired rate-limit bucket(s)", total);
        }
    }
}
