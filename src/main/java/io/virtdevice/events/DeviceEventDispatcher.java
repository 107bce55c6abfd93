package io.virtdevice.events;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.virtdevice.devices.DeviceStateChanged;
import io.virtdevice.platform.tenancy.TenantContext;
import io.virtdevice.platform.tenancy.TenantScope;
import io.virtdevice.platform.tenancy.TenantScopedTransactionManager;
import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
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
import org.springframework.transaction.TransactionStatus;
import org.springframework.transaction.event.TransactionPhase;
import org.springframework.transaction.event.TransactionalEventListener;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The outbox relay: hands every committed device event, once and in order per owner, to every
 * {@link DeviceEventConsumer}. {@code device_events} is the outbox; each consumer has its own row in
 * {@code event_consumer_positions} saying how far it has got (see the relay migration for how the function
 * {@code app.device_events_relay} decides which seqs are final without waiting for unrelated transactions).
 *
 * <p>One batch is one transaction of one consumer: lock its position ({@code FOR UPDATE SKIP LOCKED}, so one
 * instance of a cluster relays a consumer at a time and the others skip), read up to {@link #BATCH} event ids
 * and owners after it, and for each run of one owner's events read them under that owner's tenant context
 * (RLS) and let the consumer stage its work; advance the position; commit. Staged work and the position
 * commit together, so each event is staged exactly once per consumer.
 *
 * <p>When a batch fails it is rolled back and run again at once with a savepoint per event: an event that
 * fails there is parked in {@code event_failures} for this consumer and owner together with that owner's
 * later events (they wait behind it, so the owner's order holds), and everything else goes on. Parked events
 * are retried with backoff; after {@code virtdevice.events.dispatch-max-failures} attempts the event is a
 * dead letter (counted in {@code virtdevice.events.dead_letters}, listed by {@code GET /api/v1/event-failures},
 * retried on request) and the owner's later events flow again. Other consumers and owners never wait.
 *
 * <p>This thread wakes when a change commits on this instance, retries shortly when another instance holds
 * a position or an uncommitted event holds later ones back, and polls every
 * {@code virtdevice.events.dispatch-interval}. The db-scheduler task {@code events.relay}
 * ({@link RelayDeviceEventsTask}) sweeps on the same interval on one instance of the cluster, for changes
 * nobody woke a dispatcher for (other instances', a crash's).
 */
@Component
class DeviceEventDispatcher implements SmartLifecycle {

    static final int BATCH = 500;
    static final String DEAD_LETTERS = "virtdevice.events.dead_letters";
    private static final int RETRY_BATCH = 100;
    private static final Duration RETRY_SOON = Duration.ofMillis(20);
    private static final Duration MAX_BACKOFF = Duration.ofMinutes(1);
    private static final Logger log = LoggerFactory.getLogger(DeviceEventDispatcher.class);

    private static final String RELAY = "select * from app.device_events_relay(:consumer, :limit)";
    private static final String ADVANCE = """
            update event_consumer_positions
               set seq = :seq, fence_seq = :fenceSeq, fence_holders = cast(:fenceHolders as text[]), updated_at = now()
             where consumer = :consumer
            """;
    private static final String REGISTER = "select app.register_event_consumer(:consumer)";
    private static final String OWNER_LOCK =
            "select pg_try_advisory_xact_lock(hashtextextended('event_failures:' || :consumer || ':' || :user, 0))";

    /** What one pass did. */
    enum Outcome {
        /** relayed a full batch: there may be more */
        MORE,
        /** relayed everything there is */
        DONE,
        /** relayed everything that is final, but an uncommitted event holds later ones back */
        HELD_BACK,
        /** another instance holds the position */
        BUSY
    }

    /** One consumer's relay state in this instance. */
    private static final class Lane {
        final DeviceEventConsumer consumer;
        final String name;
        final Counter deadLetters;
        int failures; // passes in a row that failed outside staging (the database, most likely)
        long backoffUntil;

        Lane(DeviceEventConsumer consumer, Counter deadLetters) {
            this.consumer = consumer;
            this.name = consumer.name();
            this.deadLetters = deadLetters;
        }
    }

    private final DeviceEventReader reader;
    private final EventFailureRepository failures;
    private final JdbcClient jdbc;
    private final ObjectProvider<DeviceEventConsumer> consumers;
    private final MeterRegistry meters;
    private final DataSource dataSource;
    private final TransactionTemplate tx;
    private final Duration interval;
    private final int maxFailures;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition signal = lock.newCondition();
    private boolean woken;
    private volatile boolean retryRequested;
    private volatile boolean running;
    private volatile List<Lane> lanes;
    private Thread thread;

    DeviceEventDispatcher(DeviceEventReader reader, EventFailureRepository failures, JdbcClient jdbc,
            ObjectProvider<DeviceEventConsumer> consumers, MeterRegistry meters, DataSource dataSource,
            PlatformTransactionManager transactionManager, EventsSettings settings) {
        this.reader = reader;
        this.failures = failures;
        this.jdbc = jdbc;
        this.consumers = consumers;
        this.meters = meters;
        this.dataSource = dataSource;
        // a lost dispatch (database crash) is dispatched again: no need to wait for the WAL flush
        this.tx = TenantScopedTransactionManager.asynchronousCommit(transactionManager);
        this.interval = settings.dispatchInterval();
        this.maxFailures = Math.max(1, settings.dispatchMaxFailures());
    }

    // fallbackExecution: a change that was a transaction of its own is published after it committed
    @TransactionalEventListener(phase = TransactionPhase.AFTER_COMMIT, fallbackExecution = true)
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

    /** Looks at parked events at once (a dead letter was handed back). */
    void retrySoon() {
        retryRequested = true;
        wake();
    }

    private synchronized List<Lane> lanes() {
        List<Lane> known = lanes;
        if (known == null) {
            List<Lane> all = new ArrayList<>();
            Set<String> names = new HashSet<>();
            for (DeviceEventConsumer consumer : consumers.orderedStream().toList()) {
                if (!names.add(consumer.name())) {
                    throw new IllegalStateException("two device event consumers are named " + consumer.name());
                }
                TenantScope.callWithoutContext(() -> tx.execute(s ->
                        jdbc.sql(REGISTER).param("consumer", consumer.name()).query((rs, i) -> 1).list()));
                all.add(new Lane(consumer, Counter.builder(DEAD_LETTERS)
                        .description("device events a consumer gave up on (kept in event_failures)")
                        .tag("consumer", consumer.name())
                        .register(meters)));
            }
            lanes = known = List.copyOf(all);
        }
        return known;
    }

    private void run() {
        Duration wait = Duration.ZERO; // dispatch what a previous run left at once
        long nextRetries = 0;
        while (running) {
            if (!await(wait)) {
                return;
            }
            wait = interval;
            List<Lane> all;
            try {
                all = lanes();
            } catch (RuntimeException e) {
                log.warn("device event consumers could not be registered: {}", e.toString());
                wait = Duration.ofSeconds(1);
                continue;
            }
            long now = System.nanoTime();
            boolean retries = retryRequested || now - nextRetries >= 0;
            if (retries) {
                retryRequested = false;
                nextRetries = now + interval.toNanos();
            }
            for (Lane lane : all) {
                if (lane.backoffUntil - now > 0) {
                    wait = min(wait, Duration.ofNanos(lane.backoffUntil - now));
                    continue;
                }
                try {
                    wait = min(wait, drain(lane));
                    if (retries) {
                        retries(lane);
                    }
                    lane.failures = 0;
                } catch (RuntimeException e) {
                    lane.failures++;
                    Duration backoff = backoff(lane.failures);
                    lane.backoffUntil = System.nanoTime() + backoff.toNanos();
                    wait = min(wait, backoff);
                    log.warn("device event relay of {} failed (failure {}), next try in {}: {}", lane.name,
                            lane.failures, backoff, e.toString());
                }
            }
        }
    }

    /** Relays one consumer until nothing is left; returns how long to wait before the next look. */
    private Duration drain(Lane lane) {
        while (running) {
            Outcome outcome = pass(lane, BATCH);
            if (outcome == Outcome.BUSY) {
                return RETRY_SOON.multipliedBy(5);
            }
            if (outcome == Outcome.HELD_BACK) {
                return RETRY_SOON;
            }
            if (outcome == Outcome.DONE) {
                return interval;
            }
        }
        return Duration.ZERO;
    }

    /**
     * Relays everything final now and hands due parked events over, in the caller's thread
     * ({@code events.relay}); skips what another thread or instance holds. The first failure propagates
     * after every consumer had its turn.
     */
    void sweep() {
        RuntimeException first = null;
        for (Lane lane : lanes()) {
            try {
                Outcome outcome;
                do {
                    outcome = pass(lane, BATCH);
                } while (outcome == Outcome.MORE && running);
                retries(lane);
            } catch (RuntimeException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** One batch of one consumer; if it fails, the same batch again with a savepoint per event. */
    Outcome pass(Lane lane, int limit) {
        try {
            return TenantScope.callWithoutContext(() -> tx.execute(s -> pass(lane, limit, null)));
        } catch (RuntimeException e) {
            log.warn("device event relay of {} failed; running the batch again event by event: {}", lane.name,
                    e.toString());
            return TenantScope.callWithoutContext(() -> tx.execute(s -> pass(lane, limit, s)));
        }
    }

    /**
     * What the relay handed out; {@code minTx} and {@code maxTx} are the least and greatest writing transaction
     * of its events (null when there are none): every one of them lies in that range of device_events'
     * partition key.
     */
    private record Batch(boolean busy, long position, long finalSeq, Long fenceSeq, String[] fenceHolders,
            boolean fenceChanged, List<Entry> entries, String minTx, String maxTx) {}

    private record Entry(UUID id, long seq, TenantContext owner, boolean parked) {}

    /** One batch in the caller's transaction; with {@code careful}, each event in a savepoint of it. */
    private Outcome pass(Lane lane, int limit, TransactionStatus careful) {
        Batch batch = jdbc.sql(RELAY).param("consumer", lane.name).param("limit", limit)
                .query(DeviceEventDispatcher::batch).single();
        if (batch.busy()) {
            return Outcome.BUSY;
        }
        // What is final: everything up to finalSeq, and beyond it what follows the position without a gap
        // (a missing seq there may be an event still being written).
        List<Entry> entries = batch.entries();
        long expected = batch.position() + 1;
        int take = 0;
        for (Entry entry : entries) {
            if (entry.seq() > batch.finalSeq() && entry.seq() != expected) {
                break;
            }
            expected = entry.seq() + 1;
            take++;
        }
        boolean full = entries.size() >= limit;
        Set<TenantContext> blocked = new HashSet<>();
        TenantContext bound = null;
        int from = 0;
        while (from < take) {
            TenantContext owner = entries.get(from).owner();
            int to = from + 1;
            while (to < take && entries.get(to).owner().equals(owner)) {
                to++;
            }
            List<Entry> run = entries.subList(from, to);
            if (!owner.equals(bound)) {
                TenantScopedTransactionManager.rebind(dataSource, owner);
                bound = owner;
            }
            TenantScope.run(owner, () -> relay(lane, owner, run, batch, careful, blocked));
            from = to;
        }
        long last = take == 0 ? batch.position() : entries.get(take - 1).seq();
        boolean all = take == entries.size();
        long position = full && all ? last : Math.max(last, batch.finalSeq());
        if (position != batch.position() || batch.fenceChanged()) {
            jdbc.sql(ADVANCE)
                    .param("consumer", lane.name)
                    .param("seq", position)
                    .param("fenceSeq", batch.fenceSeq())
                    .param("fenceHolders", batch.fenceHolders())
                    .update();
        }
        if (!all) {
            return Outcome.HELD_BACK;
        }
        return full ? Outcome.MORE : Outcome.DONE;
    }

    /** One owner's consecutive events for one consumer, under the owner's context. */
    private void relay(Lane lane, TenantContext owner, List<Entry> run, Batch batch, TransactionStatus careful,
            Set<TenantContext> blocked) {
        Map<UUID, DeviceEvent> read = new HashMap<>();
        List<UUID> ids = run.stream().map(Entry::id).toList();
        // only the partitions that can hold the batch's events (the relay read their tx_ids)
        List<DeviceEvent> found = batch.minTx() == null || batch.maxTx() == null
                ? reader.findAll(ids)
                : reader.findAllWrittenBetween(ids, batch.minTx(), batch.maxTx());
        for (DeviceEvent event : found) {
            read.put(event.id(), event);
        }
        // an event deleted since (with its user) has nobody left to react for
        List<DeviceEvent> events = run.stream().map(e -> read.get(e.id())).filter(e -> e != null).toList();
        if (events.isEmpty()) {
            return;
        }
        if (run.get(0).parked() || blocked.contains(owner)) {
            failures.park(lane.name, owner, events, null, null, Duration.ZERO);
            return;
        }
        if (careful == null) {
            lane.consumer.stageAll(events);
            return;
        }
        for (int i = 0; i < events.size(); i++) {
            DeviceEvent event = events.get(i);
            Object savepoint = careful.createSavepoint();
            try {
                lane.consumer.stageAll(List.of(event));
                careful.releaseSavepoint(savepoint);
            } catch (RuntimeException e) {
                careful.rollbackToSavepoint(savepoint);
                careful.releaseSavepoint(savepoint);
                log.warn("{} failed on device event {}; parked with the owner's later events, retry in {}: {}",
                        lane.name, event.id(), backoff(1), e.toString());
                failures.park(lane.name, owner, events.subList(i, events.size()), event.id(), e.toString(),
                        backoff(1));
                blocked.add(owner);
                return;
            }
        }
    }

    /** Hands due parked events of every owner to one consumer. */
    private void retries(Lane lane) {
        List<TenantContext> owners = TenantScope.callWithoutContext(() -> tx.execute(s ->
                failures.due(lane.name, RETRY_BATCH)));
        for (TenantContext owner : owners) {
            int given = TenantScope.call(owner, () -> tx.execute(s -> retry(lane, owner, s)));
            if (given > 0) {
                lane.deadLetters.increment(given);
            }
        }
    }

    /** One owner's parked events for one consumer, oldest first, until one fails; returns how many were given up. */
    private int retry(Lane lane, TenantContext owner, TransactionStatus status) {
        boolean mine = jdbc.sql(OWNER_LOCK).param("consumer", lane.name).param("user", owner.userId().toString())
                .query(Boolean.class).single();
        if (!mine) {
            return 0; // another instance is at it
        }
        List<EventFailureRepository.Pending> pending = failures.pending(lane.name, RETRY_BATCH);
        if (pending.isEmpty() || !pending.get(0).due()) {
            return 0;
        }
        Map<UUID, DeviceEvent> read = new HashMap<>();
        for (DeviceEvent event : reader.findAll(pending.stream().map(EventFailureRepository.Pending::eventId).toList())) {
            read.put(event.id(), event);
        }
        int given = 0;
        for (EventFailureRepository.Pending parked : pending) {
            DeviceEvent event = read.get(parked.eventId());
            if (event == null) {
                failures.done(parked.id()); // deleted since: nobody left to react for
                continue;
            }
            Object savepoint = status.createSavepoint();
            try {
                lane.consumer.stageAll(List.of(event));
                status.releaseSavepoint(savepoint);
                failures.done(parked.id());
            } catch (RuntimeException e) {
                status.rollbackToSavepoint(savepoint);
                status.releaseSavepoint(savepoint);
                int attempt = parked.attempts() + 1;
                if (failures.failed(parked.id(), e.toString(), maxFailures, backoff(attempt + 1))) {
                    log.error("{} gave up on device event {} of user {} after {} attempts; kept as a dead letter "
                            + "(event_failures), the user's later events go on: {}", lane.name, event.id(),
                            owner.userId(), attempt, e.toString());
                    given++;
                    continue;
                }
                log.warn("{} failed again on device event {} (attempt {}), next try in {}: {}", lane.name,
                        event.id(), attempt, backoff(attempt + 1), e.toString());
                break;
            }
        }
        if (pending.size() == RETRY_BATCH) {
            retryRequested = true;
        }
        return given;
    }

    private static Batch batch(ResultSet rs, int row) throws SQLException {
        if (rs.getBoolean("busy")) {
            return new Batch(true, 0, 0, null, null, false, List.of(), null, null);
        }
        UUID[] ids = array(rs.getArray("ids"), UUID[].class, new UUID[0]);
        Long[] seqs = array(rs.getArray("seqs"), Long[].class, new Long[0]);
        UUID[] tenants = array(rs.getArray("tenants"), UUID[].class, new UUID[0]);
        UUID[] users = array(rs.getArray("users"), UUID[].class, new UUID[0]);
        Boolean[] parked = array(rs.getArray("parked"), Boolean[].class, new Boolean[0]);
        List<Entry> entries = new ArrayList<>(ids.length);
        for (int i = 0; i < ids.length; i++) {
            entries.add(new Entry(ids[i], seqs[i], new TenantContext(tenants[i], users[i]), parked[i]));
        }
        long fence = rs.getLong("next_fence_seq");
        return new Batch(false, rs.getLong("position"), rs.getLong("final_seq"), rs.wasNull() ? null : fence,
                array(rs.getArray("next_fence_holders"), String[].class, null), rs.getBoolean("fence_changed"),
                entries, rs.getString("min_tx"), rs.getString("max_tx"));
    }

    private static <T> T array(Array array, Class<T> type, T empty) throws SQLException {
        return array == null ? empty : type.cast(array.getArray());
    }

    private static Duration backoff(int failures) {
        return Duration.ofSeconds(Math.min(MAX_BACKOFF.toSeconds(), 1L << Math.min(Math.max(failures - 1, 0), 6)));
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** Waits for a wake-up or the timeout; false when stopping. */
    private boolean await(Duration timeout) {
        lock.lock();
        try {
            long nanos = timeout.toNanos();
            while (!woken && nanos > 0 && running) {
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
