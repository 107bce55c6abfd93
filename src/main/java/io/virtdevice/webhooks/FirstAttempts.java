package io.virtdevice.webhooks;

import io.virtdevice.platform.jobs.LeaseOwner;
import io.virtdevice.platform.jobs.LeasedAttempts;
import com.github.kagkarlsson.scheduler.SchedulerClient;
import io.virtdevice.platform.jobs.SchedulerNudge;
import io.virtdevice.platform.tenancy.TenantContext;
import io.virtdevice.platform.tenancy.TenantScope;
import io.virtdevice.platform.tenancy.TenantScopedTransactionManager;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Makes the first attempt of every freshly staged webhook message in the process that staged it, as soon as
 * the dispatch transaction commits: no db-scheduler row is written, picked, read and deleted per message,
 * and no poll stands between a change and its webhook.
 *
 * <p>Durability comes from the message's lease ({@code webhook_deliveries.lease_until}, set when staged):
 * recording the first attempt ends it, in the same transaction that schedules the retry (a db-scheduler
 * task, as every later attempt is). An attempt is only started while the lease has more than the request
 * timeout plus a margin left, so it never outlives its lease; a message this process cannot attempt in time
 * (it is overloaded or stopping) is handed to db-scheduler at once, and one whose process died is handed over
 * by the lease sweep every instance runs at start and then each {@code virtdevice.webhooks.recover-interval}:
 * at once when the lease names its process ({@link LeaseOwner}) and that process's lock is gone, else when
 * the lease runs out (a hand-over is one conditional update, so instances sweeping at the same time hand
 * each message over once; a db-scheduler recurring task proved too slow here: after a kill -9 it waits for
 * dead-execution detection). Either way each message is attempted at least once, and twice only if the
 * process dies between sending and recording (with the same {@code webhook-id}).
 *
 * <p>Messages staged before this component has started (the {@code events.relay} task runs as soon as
 * db-scheduler starts, which is before the application is ready) wait in memory and are attempted when it
 * starts, not when their lease runs out.
 *
 * <p>Successes, the common case, are recorded in batches by one recorder thread: one transaction and one
 * statement per user for whatever has accumulated, instead of a transaction per message. A failed attempt is
 * recorded at once, with its retry.
 */
@Component
class FirstAttempts implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(FirstAttempts.class);

    private final DeliverWebhookTask deliver;
    // Lazy, like every scheduler use outside the tasks
    private final ObjectProvider<SchedulerClient> scheduler;
    private final SchedulerNudge nudge;
    private final WebhookDeliveryRepository deliveries;
    private final WebhookSettings settings;
    private final TransactionTemplate tx;
    private final TransactionTemplate recordTx;
    private final TransactionTemplate readTx;
    private final DataSource dataSource;
    private final Semaphore permits;
    private final LeaseOwner leaseOwner;
    private final LeasedAttempts attempts =
            new LeasedAttempts("webhook-first-attempt-", "webhook-lease-sweep", BEFORE_START_LIMIT);
    private final LinkedBlockingQueue<Succeeded> successes = new LinkedBlockingQueue<>();
    private volatile boolean recording;
    private Thread recorder;

    private record Succeeded(TenantContext owner, WebhookDeliveryRepository.Success success) {}

    static final int RECOVER_BATCH = 500;

    /** The most messages kept in memory before start; more are handed to db-scheduler when it starts. */
    static final int BEFORE_START_LIMIT = 10_000;

    /** The most successes recorded in one transaction. */
    static final int RECORD_BATCH = 500;

    FirstAttempts(DeliverWebhookTask deliver, ObjectProvider<SchedulerClient> scheduler, SchedulerNudge nudge,
            WebhookDeliveryRepository deliveries, WebhookSettings settings, PlatformTransactionManager transactions,
            DataSource dataSource, LeaseOwner leaseOwner) {
        this.deliver = deliver;
        this.scheduler = scheduler;
        this.nudge = nudge;
        this.deliveries = deliveries;
        this.settings = settings;
        this.tx = new TransactionTemplate(transactions);
        this.readTx = new TransactionTemplate(transactions);
        this.readTx.setReadOnly(true);
        // a lost record (database crash) leaves the lease: the message is sent again
        this.recordTx = TenantScopedTransactionManager.asynchronousCommit(transactions);
        this.dataSource = dataSource;
        this.permits = new Semaphore(settings.firstAttemptConcurrency());
        this.leaseOwner = leaseOwner;
    }

    /**
     * Attempts the messages once the current (dispatch) transaction has committed; nothing if it rolls back.
     * Staged during start-up (events.relay): attempted when this starts, or handed to db-scheduler then when
     * more than {@value #BEFORE_START_LIMIT} wait; after stop, the lease hands them over.
     */
    void afterCommit(TenantContext owner, List<WebhookDeliveryRepository.Staged> staged) {
        attempts.afterCommit(staged, message -> () -> attempt(owner, message),
                message -> () -> handOver(owner, message.pending().id()));
    }

    /**
     * Ends the message's lease and schedules its first attempt as a db-scheduler task, in one transaction
     * under the owner's context; nothing if the lease had already ended.
     */
    void handOver(TenantContext owner, UUID deliveryId) {
        handOver(owner, List.of(deliveryId));
    }

    /** {@link #handOver(TenantContext, UUID)} for several messages of one owner, in one transaction. */
    void handOver(TenantContext owner, List<UUID> deliveryIds) {
        List<UUID> handed = TenantScope.call(owner, () -> tx.execute(s -> {
            List<UUID> released = deliveries.releaseLeases(deliveryIds);
            Instant now = Instant.now();
            for (UUID deliveryId : released) {
                scheduler.getObject().scheduleIfNotExists(deliver.instance(DeliverWebhookTask.instanceId(deliveryId),
                        new DeliverWebhookTask.Job(owner.tenantId(), owner.userId(), deliveryId, 1, false)), now);
            }
            return released;
        }));
        if (handed != null && !handed.isEmpty()) {
            nudge.afterCommit();
        }
    }

    private void attempt(TenantContext owner, WebhookDeliveryRepository.Staged message) {
        WebhookDeliveryRepository.Pending pending = message.pending();
        try {
            permits.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return; // stopping hard: the lease hands it over
        }
        try {
            if (!attempts.running() || Instant.now().isAfter(settings.firstAttemptStartBy(message.leaseUntil()))) {
                handOver(owner, pending.id());
                return;
            }
            DeliverWebhookTask.Job job = new DeliverWebhookTask.Job(owner.tenantId(), owner.userId(), pending.id(), 1,
                    false);
            WebhookSender.Result outcome = deliver.post(pending);
            if (outcome.delivered()) {
                successes.add(new Succeeded(owner, new WebhookDeliveryRepository.Success(pending.id(), 1, Instant.now(),
                        outcome)));
                return;
            }
            TenantScope.run(owner, () -> deliver.record(job, pending, outcome, next -> scheduler.getObject().schedule(
                    deliver.instance(DeliverWebhookTask.instanceId(pending.id()), job.withAttempt(2)), next)));
        } catch (RuntimeException e) {
            // e.g. the database was unreachable while recording: the lease hands the message over
            log.warn("webhook message {}: first attempt not recorded ({}); it is retried when its lease ends",
                    pending.msgId(), e.toString());
        } finally {
            permits.release();
        }
    }

    /**
     * Hands every message whose lease has run out, or whose process's lock is gone (it died), to db-scheduler;
     * the number handed over.
     */
    int recoverExpiredLeases() {
        int total = 0;
        List<WebhookDeliveryRepository.Unattempted> expired;
        do {
            expired = TenantScope.callWithoutContext(() -> readTx.execute(s -> deliveries.leaseExpired(RECOVER_BATCH)));
            // one transaction per owner: a dead instance's backlog is handed over in a few, not one per message
            Map<TenantContext, List<UUID>> byOwner = new LinkedHashMap<>();
            expired.forEach(m -> byOwner.computeIfAbsent(m.owner(), o -> new ArrayList<>()).add(m.id()));
            byOwner.forEach(this::handOver);
            total += expired.size();
        } while (expired.size() == RECOVER_BATCH && attempts.running());
        if (total > 0) {
            log.info("Handed {} webhook messages with an expired or orphaned first-attempt lease to the scheduler",
                    total);
        }
        return total;
    }

    private void sweep() {
        try {
            leaseOwner.check();
            recoverExpiredLeases();
        } catch (RuntimeException e) {
            log.warn("webhook lease sweep failed ({}); trying again in {}", e.toString(), settings.recoverInterval());
        }
    }

    /** The recorder thread: records accumulated successes until stopped and nothing is left. */
    private void recordSuccesses() {
        while (recording || !successes.isEmpty()) {
            Succeeded first;
            try {
                first = successes.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (first == null) {
                continue;
            }
            List<Succeeded> batch = new ArrayList<>();
            batch.add(first);
            successes.drainTo(batch, RECORD_BATCH - 1);
            try {
                record(batch);
            } catch (RuntimeException e) {
                // The leases are still set: the messages are sent again when they run out (at least once).
                log.warn("could not record {} successful webhook attempts ({}); they are sent again when their "
                        + "leases end", batch.size(), e.toString());
            }
        }
    }

    /** One transaction; per user, its tenant context and one statement. */
    private void record(List<Succeeded> batch) {
        Map<TenantContext, List<WebhookDeliveryRepository.Success>> byOwner = new LinkedHashMap<>();
        batch.forEach(s -> byOwner.computeIfAbsent(s.owner(), o -> new ArrayList<>()).add(s.success()));
        TenantScope.callWithoutContext(() -> recordTx.execute(status -> {
            byOwner.forEach((owner, list) -> {
                TenantScopedTransactionManager.rebind(dataSource, owner);
                TenantScope.run(owner, () -> deliveries.recordSuccesses(list));
            });
            return null;
        }));
    }

    @Override
    public void start() {
        recording = true;
        recorder = Thread.ofPlatform().daemon().name("webhook-success-recorder").start(this::recordSuccesses);
        // the sweep runs at once: the messages a killed predecessor left behind are handed over now
        int waiting = attempts.start(this::sweep, settings.recoverInterval());
        if (waiting > 0) {
            log.info("Attempting {} webhook messages staged during start-up", waiting);
        }
    }

    /** Hands waiting messages to db-scheduler and lets attempts in flight finish (bounded by the timeout). */
    @Override
    public void stop() {
        attempts.stop(settings.timeout().plus(Duration.ofSeconds(2)));
        if (recorder == null) {
            return;
        }
        recording = false; // no attempt is running any more: the recorder records what is left, then ends
        try {
            recorder.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public boolean isRunning() {
        return attempts.running();
    }

    /** Stops after the change-event dispatcher (which stages first attempts), before the database goes. */
    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE - 1;
    }
}
