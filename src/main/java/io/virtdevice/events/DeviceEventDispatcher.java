package io.virtdevice.events;

import io.virtdevice.devices.DeviceStateChanged;
import io.virtdevice.platform.tenancy.TenantContext;
import io.virtdevice.platform.tenancy.TenantScope;
import io.virtdevice.platform.tenancy.TenantScopedTransactionManager;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.SmartLifecycle;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.event.TransactionPhase;
import org.springframework.transaction.event.TransactionalEventListener;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The outbox relay: hands every committed device event, once and in commit order, to every
 * {@link DeviceEventConsumer}. {@code device_events} is the outbox and the {@code event_dispatch_cursor}
 * row says how far dispatch has got (the baseline migration says at {@code device_events_dispatch_idx} why
 * the order is {@code (tx_id, seq)}).
 *
 * <p>One batch is one transaction: lock the cursor row ({@code FOR UPDATE SKIP LOCKED}, so one instance of a
 * cluster dispatches at a time and the others skip), read up to {@link #BATCH} events after it, let every
 * consumer stage its work for each event under the event owner's tenant context, advance the cursor,
 * commit. Staged work and the cursor commit together, so each event is staged exactly once; a failure rolls
 * the batch back and it runs again, one event at a time. An event that keeps failing on its own is skipped
 * after {@code virtdevice.events.dispatch-max-failures} attempts (default 10) and logged, so one bad event
 * cannot stop every other change.
 *
 * <p>This thread wakes when a change commits on this instance, retries shortly when another instance holds
 * the cursor or an older transaction still holds events back, and polls every
 * {@code virtdevice.events.dispatch-interval}. The db-scheduler task {@code events.relay}
 * ({@link RelayDeviceEventsTask}) sweeps on the same interval on one instance of the cluster, for changes
 * nobody woke a dispatcher for (other instances', a crash's).
 */
@Component
class DeviceEventDispatcher implements SmartLifecycle {

    static final int BATCH = 500;
    private static final Duration RETRY_SOON = Duration.ofMillis(20);
    private static final Duration MAX_BACKOFF = Duration.ofMinutes(1);
    private static final Logger log = LoggerFactory.getLogger(DeviceEventDispatcher.class);

    private static final String LOCK_CURSOR = """
            select tx_id::text as tx_id, seq from event_dispatch_cursor for update skip locked
            """;
    private static final String ADVANCE = """
            update event_dispatch_cursor set tx_id = cast(:tx as xid8), seq = :seq, updated_at = now()
            """;
    // after a batch that was not full: advance and look for held-back events in one round trip
    private static final String ADVANCE_AND_CHECK = ADVANCE + """
            returning app.device_events_held_back(tx_id, seq)
            """;
    private static final String HELD_BACK = """
            select app.device_events_held_back(c.tx_id, c.seq) from event_dispatch_cursor c
            """;

    /** What one pass did. */
    enum Outcome {
        /** dispatched a full batch: there may be more */
        MORE,
        /** dispatched everything there is */
        DONE,
        /** dispatched everything that is dispatchable, but an older open transaction holds later events back */
        HELD_BACK,
        /** another instance holds the cursor */
        BUSY
    }

    private final DeviceEventReader reader;
    private final JdbcClient jdbc;
    private final ObjectProvider<DeviceEventConsumer> consumers;
    private final DataSource dataSource;
    private final TransactionTemplate tx;
    private final Duration interval;
    private final int maxFailures;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition signal = lock.newCondition();
    private boolean woken;
    private volatile boolean running;
    private Thread thread;

    // failures of the batch starting at the same event, for skipping an event that keeps failing
    private String failingAt;
    private int failures;

    DeviceEventDispatcher(DeviceEventReader reader, JdbcClient jdbc, ObjectProvider<DeviceEventConsumer> consumers,
            DataSource dataSource, PlatformTransactionManager transactionManager, EventsSettings settings) {
        this.reader = reader;
        this.jdbc = jdbc;
        this.consumers = consumers;
        this.dataSource = dataSource;
        // a lost dispatch (database crash) is dispatched again: no need to wait for the WAL flush
        this.tx = TenantScopedTransactionManager.asynchronousCommit(transactionManager);
        this.interval = settings.dispatchInterval();
        this.maxFailures = Math.max(1, settings.dispatchMaxFailures());
    }

    @TransactionalEventListener(phase = TransactionPhase.AFTER_COMMIT)
    void committed(DeviceStateChanged event) {
        wake();
    }

    /** Dispatches soon (after the current pass, if one is running). */
    void wake() {
        lock.lock();
        try {
            woken = true;
            signal.signal();
        } finally {
            lock.unlock();
        }
    }

    private void run() {
        Duration wait = Duration.ZERO; // dispatch what a previous run left at once
        boolean backingOff = false;
        int limit = BATCH;
        while (running) {
            if (!await(wait, backingOff)) {
                return;
            }
            backingOff = false;
            try {
                wait = drain(limit);
                limit = BATCH;
                failingAt = null;
                failures = 0;
            } catch (RuntimeException e) {
                if (limit > 1) {
                    // find the event that fails: one event per transaction until past it
                    log.warn("device event dispatch failed; retrying one event at a time: {}", e.toString());
                    limit = 1;
                    wait = Duration.ZERO;
                } else {
                    wait = failed(e);
                    backingOff = true; // new commits must not cut the backoff short
                }
            }
        }
    }

    /** Dispatches until nothing is left; returns how long to wait before the next look. */
    Duration drain(int limit) {
        for (int passes = 1; running; passes++) {
            Outcome outcome = TenantScope.callWithoutContext(() -> tx.execute(s -> pass(limit)));
            if (outcome == Outcome.BUSY) {
                return RETRY_SOON.multipliedBy(5);
            }
            if (outcome == Outcome.HELD_BACK) {
                return RETRY_SOON;
            }
            if (outcome == Outcome.DONE) {
                return interval;
            }
            if (limit < BATCH && passes >= BATCH) {
                return Duration.ZERO; // past the trouble: back to full batches
            }
        }
        return Duration.ZERO;
    }

    /**
     * Dispatches everything dispatchable now, in the caller's thread ({@code events.relay}); returns at once
     * if another thread or instance holds the cursor. Failures propagate to the caller.
     */
    void sweep() {
        Outcome outcome;
        do {
            outcome = TenantScope.callWithoutContext(() -> tx.execute(s -> pass(BATCH)));
        } while (outcome == Outcome.MORE && running);
    }

    /** One batch in the caller's transaction. */
    Outcome pass(int limit) {
        Cursor cursor = lockCursor();
        if (cursor == null) {
            return Outcome.BUSY;
        }
        List<DeviceEventReader.Dispatchable> events = reader.toDispatch(cursor.txId(), cursor.seq(), limit);
        if (events.isEmpty()) {
            return heldBack() ? Outcome.HELD_BACK : Outcome.DONE;
        }
        List<DeviceEventConsumer> all = consumers.orderedStream().toList();
        // Consecutive events of one owner are staged together, under that owner's context (bound to the
        // transaction's session with set_config). The context stays bound after the last run: only the
        // cursor (a system table) is written after it, and the setting ends with the transaction.
        TenantContext bound = null;
        int from = 0;
        while (from < events.size()) {
            TenantContext owner = events.get(from).event().owner();
            int to = from + 1;
            while (to < events.size() && events.get(to).event().owner().equals(owner)) {
                to++;
            }
            List<DeviceEvent> run = events.subList(from, to).stream().map(DeviceEventReader.Dispatchable::event).toList();
            if (!owner.equals(bound)) {
                TenantScopedTransactionManager.rebind(dataSource, owner);
                bound = owner;
            }
            TenantScope.run(owner, () -> all.forEach(consumer -> consumer.stageAll(run)));
            from = to;
        }
        DeviceEventReader.Dispatchable last = events.get(events.size() - 1);
        if (events.size() == limit) {
            advance(last);
            return Outcome.MORE;
        }
        return advanceAndCheck(last) ? Outcome.HELD_BACK : Outcome.DONE;
    }

    /**
     * A single event failed to dispatch: back off, and after {@code virtdevice.events.dispatch-max-failures}
     * failures in a row of the same event skip it, so it cannot hold up every later change for ever.
     */
    private Duration failed(RuntimeException error) {
        String head;
        try {
            head = TenantScope.callWithoutContext(() -> tx.execute(s -> {
                DeviceEventReader.Dispatchable next = next();
                return next == null ? null : next.event().id().toString();
            }));
        } catch (RuntimeException e) {
            head = null; // the database itself is failing: keep backing off, never skip
        }
        if (head != null && head.equals(failingAt)) {
            failures++;
        } else {
            failingAt = head;
            failures = head == null ? 0 : 1;
        }
        if (head != null && failures >= maxFailures) {
            String skipped = head;
            TenantScope.callWithoutContext(() -> tx.execute(s -> skip(skipped)));
            log.error("device event {} skipped after {} failed dispatches; its webhooks and other reactions will "
                    + "not run: {}", skipped, failures, error.toString());
            failingAt = null;
            failures = 0;
            return Duration.ZERO;
        }
        log.warn("device event dispatch failed (event {}, failure {}): {}", head, failures, error.toString());
        return Duration.ofSeconds(Math.min(MAX_BACKOFF.toSeconds(), 1L << Math.min(Math.max(failures - 1, 0), 6)));
    }

    private Void skip(String eventId) {
        DeviceEventReader.Dispatchable next = next();
        if (next != null && next.event().id().toString().equals(eventId)) {
            advance(next);
        }
        return null;
    }

    /** The next event to dispatch, under the cursor's lock; null if there is none or another holds it. */
    private DeviceEventReader.Dispatchable next() {
        Cursor cursor = lockCursor();
        List<DeviceEventReader.Dispatchable> events =
                cursor == null ? List.of() : reader.toDispatch(cursor.txId(), cursor.seq(), 1);
        return events.isEmpty() ? null : events.get(0);
    }

    private Cursor lockCursor() {
        return jdbc.sql(LOCK_CURSOR)
                .query((rs, n) -> new Cursor(rs.getString("tx_id"), rs.getLong("seq")))
                .optional()
                .orElse(null);
    }

    private void advance(DeviceEventReader.Dispatchable last) {
        jdbc.sql(ADVANCE).param("tx", last.txId()).param("seq", last.event().seq()).update();
    }

    /** Advances the cursor past {@code last}; whether events after it are held back by an open transaction. */
    private boolean advanceAndCheck(DeviceEventReader.Dispatchable last) {
        return jdbc.sql(ADVANCE_AND_CHECK).param("tx", last.txId()).param("seq", last.event().seq())
                .query(Boolean.class).single();
    }

    /** Whether events exist after the cursor that an older, still open transaction keeps back. */
    private boolean heldBack() {
        return jdbc.sql(HELD_BACK).query(Boolean.class).single();
    }

    /**
     * Waits for a wake-up or the timeout (with {@code fullTimeout}, for the whole timeout even if woken: the
     * pass that follows covers whatever woke it); false when stopping.
     */
    private boolean await(Duration timeout, boolean fullTimeout) {
        lock.lock();
        try {
            long nanos = timeout.toNanos();
            while ((fullTimeout || !woken) && nanos > 0 && running) {
                nanos = signal.awaitNanos(nanos);
            }
            woken = false;
            return running;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            lock.unlock();
        }
    }

    private record Cursor(String txId, long seq) {}

    @Override
    public void start() {
        running = true;
        thread = Thread.ofPlatform().daemon().name("device-event-dispatcher").start(this::run);
    }

    @Override
    public void stop() {
        running = false;
        wake();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
