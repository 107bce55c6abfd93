package io.virtdevice.devices;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.task.TaskInstance;
import io.virtdevice.platform.tenancy.TenantContext;
import jakarta.annotation.PreDestroy;
import java.io.Serial;
import java.io.Serializable;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Stages the reset of a pulse as a {@code devices.pulse-reset} db-scheduler execution in the pulse's own
 * transaction (it commits or rolls back with the pulse), so the reset survives a restart or a kill -9: any
 * instance runs it when it is due. Each pulse has an execution of its own (instance id: device and due
 * time); the task checks under the device's row lock that its pulse is still the one under way
 * ({@link DeviceManagement#finishPulse}), so an execution of a superseded pulse, or one that runs twice,
 * changes nothing.
 *
 * <p>db-scheduler only looks for due work every polling interval (2 s); so that a pulse ends on time, the
 * instance that staged it also wakes its scheduler when the reset falls due. If that instance dies, another
 * one finds the reset at its next poll.
 */
@Component
class PulseResets {

    static final String TASK = "devices.pulse-reset";

    /** Wake the scheduler a little after the due time, so the database's clock has passed it too. */
    private static final Duration MARGIN = Duration.ofMillis(20);

    /**
     * A pulse's reset.
     *
     * @param resetAt the pulse's {@code devices.pulse_reset_at}: the reset applies only while it is unchanged
     */
    record Job(UUID tenantId, UUID userId, UUID deviceId, Instant resetAt) implements Serializable {
        @Serial
        private static final long serialVersionUID = 1L;

        TenantContext owner() {
            return new TenantContext(tenantId, userId);
        }
    }

    // Lazy: the scheduler's beans depend on the tasks, and the reset task on the devices module.
    private final ObjectProvider<SchedulerClient> client;
    private final ObjectProvider<Scheduler> scheduler;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("pulse-reset-wake-up").factory());

    PulseResets(ObjectProvider<SchedulerClient> client, ObjectProvider<Scheduler> scheduler) {
        this.client = client;
        this.scheduler = scheduler;
    }

    /** In the pulse's transaction: stages its reset for {@code resetAt}. */
    void schedule(TenantContext owner, UUID deviceId, Instant resetAt) {
        Job job = new Job(owner.tenantId(), owner.userId(), deviceId, resetAt);
        client.getObject().scheduleIfNotExists(new TaskInstance<>(TASK, instanceId(job), job), resetAt);
        if (TransactionSynchronizationManager.isSynchronizationActive()) {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    wakeAt(resetAt);
                }
            });
        } else {
            wakeAt(resetAt);
        }
    }

    static String instanceId(Job job) {
        return job.deviceId() + "@" + job.resetAt().getEpochSecond() + "." + job.resetAt().getNano() / 1_000;
    }

    /** Wakes this instance's scheduler when {@code at} has passed (no-op once it stops). */
    void wakeAt(Instant at) {
        long delay = Math.max(0, Duration.between(Instant.now(), at.plus(MARGIN)).toMillis());
        try {
            timer.schedule(() -> {
                Scheduler s = scheduler.getIfAvailable();
                if (s != null) {
                    s.triggerCheckForDueExecutions();
                }
            }, delay, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // shutting down: the next instance's poll finds the reset
        }
    }

    @PreDestroy
    void stop() {
        timer.shutdownNow();
    }
}
