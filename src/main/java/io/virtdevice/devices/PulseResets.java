package io.virtdevice.devices;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.kagkarlsson.scheduler.ExecutionTimeAndId;
import com.github.kagkarlsson.scheduler.ScheduledExecutionsFilter;
import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.exceptions.TaskInstanceCurrentlyExecutingException;
import com.github.kagkarlsson.scheduler.exceptions.TaskInstanceNotFoundException;
import com.github.kagkarlsson.scheduler.task.TaskInstance;
import com.github.kagkarlsson.scheduler.task.TaskInstanceId;
import io.virtdevice.platform.jobs.ExecutorShutdown;
import io.virtdevice.platform.tenancy.TenantContext;
import io.virtdevice.platform.tenancy.TenantScope;
import jakarta.annotation.PreDestroy;
import java.io.Serial;
import java.io.Serializable;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
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
 * <p>The instance that staged a pulse also runs its reset itself, on a timer of its own, when it falls due,
 * and then removes the durable execution: db-scheduler's threads are shared with every other tenant's work
 * (webhook attempts wait up to {@code virtdevice.webhooks.timeout} each) and it picks due work oldest first,
 * so a reset left to it waits behind whatever was due before it (docs/decisions.md, "Leftovers: pulse
 * timing, stream subscribers, restore check"). The durable execution is the fallback for when this instance
 * dies or cannot reach the database at the due time. Then every instance takes it over the same way, on its
 * own threads, not the scheduler's: a sweep every {@link #SWEEP_EVERY} finds the executions
 * more than {@link #ORPHANED_AFTER} past due, picked by a scheduler or not (a busy scheduler claims due work
 * into its queue long before a thread is free for it), and resets their pulses; an execution a scheduler had
 * claimed runs later and changes nothing.
 */
@Component
class PulseResets {

    static final String TASK = "devices.pulse-reset";

    private static final Logger log = LoggerFactory.getLogger(PulseResets.class);

    /** Run a little after the due time, so the database's clock has passed it too. */
    private static final Duration MARGIN = Duration.ofMillis(20);

    /** Resets falling due together run this many at a time (each is one short transaction). */
    private static final int CONCURRENCY = 4;

    /** How often an instance looks for resets that the instance that staged them did not run. */
    static final Duration SWEEP_EVERY = Duration.ofSeconds(1);

    /** How long past due a reset is left to the instance that staged it (which runs it {@link #MARGIN} after). */
    static final Duration ORPHANED_AFTER = Duration.ofSeconds(1);

    /** Resets taken over per sweep, oldest first; the rest wait for the next. */
    private static final int SWEEP_BATCH = 100;

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

    // Lazy: the scheduler's beans depend on the tasks, and the reset task on the devices module, which uses this.
    private final ObjectProvider<SchedulerClient> client;
    private final ObjectProvider<DeviceManagement> devices;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("pulse-reset-timer").factory());
    private final ExecutorService workers = Executors.newFixedThreadPool(CONCURRENCY,
            Thread.ofVirtual().name("pulse-reset-", 0).factory());
    /**
     * The sweep's own thread, one sweep at a time: its query may wait for a pool connection, and the timer
     * must stay free for the resets this instance staged.
     */
    private final ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("pulse-reset-sweep").factory());
    /** The resets queued or running here, so that a sweep does not queue one twice. */
    private final Set<String> underWay = ConcurrentHashMap.newKeySet();
    /**
     * The resets run here whose execution is still in the table because a scheduler had claimed it: a sweep
     * skips them until that execution has run.
     */
    private final Cache<String, Boolean> handedOver = Caffeine.newBuilder().maximumSize(10_000)
            .expireAfterWrite(Duration.ofMinutes(10)).build();

    PulseResets(ObjectProvider<SchedulerClient> client, ObjectProvider<DeviceManagement> devices) {
        this.client = client;
        this.devices = devices;
    }

    /** In the pulse's transaction: stages its reset for {@code resetAt}, run here when due once it commits. */
    void schedule(TenantContext owner, UUID deviceId, Instant resetAt) {
        Job job = new Job(owner.tenantId(), owner.userId(), deviceId, resetAt);
        client.getObject().scheduleIfNotExists(new TaskInstance<>(TASK, instanceId(job), job), resetAt);
        if (TransactionSynchronizationManager.isSynchronizationActive()) {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    runAt(job, resetAt);
                }
            });
        } else {
            runAt(job, resetAt);
        }
    }

    static String instanceId(Job job) {
        return job.deviceId() + "@" + job.resetAt().getEpochSecond() + "." + job.resetAt().getNano() / 1_000;
    }

    /** Runs {@code job}'s reset in this instance once {@code at} has passed (no-op once it stops). */
    void runAt(Job job, Instant at) {
        long delay = Math.max(0, Duration.between(Instant.now(), at.plus(MARGIN)).toMillis());
        try {
            timer.schedule(() -> dispatch(job), delay, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // stopping: the durable execution resets it
        }
    }

    /**
     * Ends {@code job}'s pulse in its owner's tenant scope if it is still the one under way; the time to try
     * again when the database's clock has not reached the reset yet, else null. Both the in-process run and the
     * durable execution ({@link PulseResetTask}) do this.
     */
    Instant finish(Job job) {
        return TenantScope.call(job.owner(), () -> devices.getObject().finishPulse(job.deviceId(), job.resetAt()));
    }

    /** Once the application is ready: the sweep for resets whose staging instance did not run them. */
    @EventListener(ApplicationReadyEvent.class)
    void startSweeping() {
        try {
            sweeper.scheduleWithFixedDelay(this::sweep, SWEEP_EVERY.toMillis(), SWEEP_EVERY.toMillis(),
                    TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // stopping
        }
    }

    /** Takes over the resets more than {@link #ORPHANED_AFTER} past due, oldest first. */
    void sweep() {
        try {
            Instant cutoff = Instant.now().minus(ORPHANED_AFTER);
            client.getObject().fetchScheduledExecutionsForTask(TASK, Job.class, ScheduledExecutionsFilter.all()
                    .before(new ExecutionTimeAndId(cutoff, "")).limit(SWEEP_BATCH), execution -> {
                        Job job = execution.getData();
                        if (job != null && handedOver.getIfPresent(instanceId(job)) == null) {
                            dispatch(job);
                        }
                    });
        } catch (RuntimeException e) {
            // the database out of reach: the next sweep tries again
            log.debug("pulse reset sweep failed: {}", e.toString());
        }
    }

    /** Queues {@code job}'s reset on this instance's workers, unless it is queued or running here already. */
    private void dispatch(Job job) {
        String id = instanceId(job);
        if (!underWay.add(id)) {
            return;
        }
        try {
            workers.execute(() -> {
                try {
                    run(job);
                } finally {
                    underWay.remove(id);
                }
            });
        } catch (RejectedExecutionException e) {
            underWay.remove(id); // stopping: the durable execution resets it
        }
    }

    private void run(Job job) {
        Instant again;
        try {
            again = finish(job);
        } catch (RuntimeException e) {
            log.warn("pulse reset of device {} failed here ({}); its durable execution retries it", job.deviceId(),
                    e.toString());
            return;
        }
        if (again != null) {
            runAt(job, again); // the database's clock is behind this one's
            return;
        }
        try {
            client.getObject().cancel(TaskInstanceId.of(TASK, instanceId(job)));
        } catch (TaskInstanceNotFoundException e) {
            // another instance has run it
        } catch (TaskInstanceCurrentlyExecutingException e) {
            // a scheduler has claimed it: it runs when a thread is free and finds the pulse ended
            handedOver.put(instanceId(job), Boolean.TRUE);
        } catch (RuntimeException e) {
            // picked in between, or the database went away: the execution runs and changes nothing
            log.debug("could not remove the pulse reset execution of device {}: {}", job.deviceId(), e.toString());
        }
    }

    @PreDestroy
    void stop() {
        timer.shutdownNow();
        sweeper.shutdownNow();
        ExecutorShutdown.within(workers, Duration.ofSeconds(5));
    }
}
