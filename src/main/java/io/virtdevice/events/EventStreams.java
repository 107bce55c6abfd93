package io.virtdevice.events;

import io.virtdevice.devices.DeviceStateChanged;
import io.virtdevice.platform.security.CredentialRevoked;
import io.virtdevice.platform.security.CurrentUser;
import io.virtdevice.platform.security.RevocationListener;
import io.virtdevice.platform.tenancy.TenantContext;
import io.virtdevice.platform.tenancy.TenantScope;
import io.virtdevice.platform.web.ApiProblem;
import io.virtdevice.platform.web.ProblemTypes;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.event.TransactionPhase;
import org.springframework.transaction.event.TransactionalEventListener;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;
import tools.jackson.databind.json.JsonMapper;

/**
 * The live streams open on this instance, by user. Changes committed by this instance are handed to their
 * user's streams here as they commit. Notices of the others arrive from the bus (PostgreSQL LISTEN/NOTIFY or
 * Redis); for users with open streams the events are read once under the owner's tenant context (row-level
 * security: a notice can never make another user's event visible) and handed to each of their streams.
 * Users without streams here cost a map lookup.
 */
@Component
class EventStreams implements RevocationListener {

    private static final Logger log = LoggerFactory.getLogger(EventStreams.class);
    private static final long RETRY_MILLIS = 3000;
    /** The event type that tells a resuming client its Last-Event-ID is older than the events kept. */
    static final String RESET = "reset";
    /** How long a device's event waits for the ones before it before they are read from the database. */
    static final Duration GAP_WAIT = Duration.ofMillis(500);

    private final Map<UUID, Channel> channels = new ConcurrentHashMap<>();
    /** Who opened each stream, so a revoked credential's streams can be closed. */
    private final Map<Subscriber, CurrentUser> principals = new ConcurrentHashMap<>();
    private final AtomicInteger open = new AtomicInteger();
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final ScheduledExecutorService ticker;
    private final DeviceEventReader reader;
    private final TransactionTemplate tx;
    private final JsonMapper json;
    private final EventsSettings settings;
    private final EventRetentionSettings retention;
    private volatile boolean closed;

    EventStreams(DeviceEventReader reader, PlatformTransactionManager transactionManager, JsonMapper json,
            EventsSettings settings, EventRetentionSettings retention) {
        this.reader = reader;
        this.retention = retention;
        this.tx = new TransactionTemplate(transactionManager);
        this.tx.setReadOnly(true);
        this.json = json;
        this.settings = settings;
        this.ticker = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform()
                .name("event-streams-heartbeat")
                .daemon()
                .factory());
        long period = settings.heartbeat().toMillis();
        ticker.scheduleAtFixedRate(this::heartbeat, period, period, TimeUnit.MILLISECONDS);
    }

    /**
     * As {@link #open(TenantContext, Long)}, for a principal: the stream closes as soon as its credential is
     * revoked or its user removed, on whichever instance that happens.
     */
    SseEmitter open(CurrentUser principal, Long lastEventId) {
        return open(principal.context(), lastEventId, principal, null);
    }

    /** As {@link #open(CurrentUser, Long)}, each event rendered by {@code format} instead of as JSON. */
    SseEmitter open(CurrentUser principal, Long lastEventId, LiveFormat format) {
        return open(principal.context(), lastEventId, principal, format);
    }

    /** The users' events after {@code lastEventId} (a resume), then every new one, until timeout. */
    SseEmitter open(TenantContext owner, Long lastEventId) {
        return open(owner, lastEventId, null, null);
    }

    private SseEmitter open(TenantContext owner, Long lastEventId, CurrentUser principal, LiveFormat format) {
        if (closed) {
            throw new ApiProblem(HttpStatus.SERVICE_UNAVAILABLE, ProblemTypes.SERVICE_UNAVAILABLE, "Unavailable",
                    "This instance is shutting down; connect again.");
        }
        if (open.incrementAndGet() > settings.maxStreams()) {
            open.decrementAndGet();
            throw new TooManyStreams(settings.maxStreams());
        }
        SseEmitter emitter = new SseEmitter(settings.streamTimeout().toMillis());
        AtomicBoolean counted = new AtomicBoolean(true);
        Subscriber[] self = new Subscriber[1];
        Subscriber subscriber = new Subscriber(emitter, executor, lastEventId != null, () -> {
            if (counted.compareAndSet(true, false)) {
                open.decrementAndGet();
            }
            principals.remove(self[0]);
            channels.computeIfPresent(owner.userId(), (user, channel) -> {
                channel.subscribers.remove(self[0]);
                return channel.subscribers.isEmpty() ? null : channel;
            });
        }, format);
        self[0] = subscriber;
        Channel channel;
        try {
            channel = channels.compute(owner.userId(), (user, existing) -> {
                Channel c = existing == null ? new Channel(owner) : existing;
                if (c.subscribers.size() >= settings.maxStreamsPerUser()) {
                    throw new TooManyStreams(settings.maxStreamsPerUser());
                }
                c.subscribers.add(subscriber);
                return c;
            });
        } catch (TooManyStreams e) {
            counted.set(false);
            open.decrementAndGet();
            throw e;
        }
        if (principal != null) {
            principals.put(subscriber, principal);
        }
        emitter.onCompletion(subscriber::discard);
        emitter.onError(e -> subscriber.discard());
        emitter.onTimeout(subscriber::complete);
        try {
            // Tells the client how soon to reconnect and that the subscription is live.
            emitter.send(SseEmitter.event().reconnectTime(RETRY_MILLIS).comment("connected"));
        } catch (IOException e) {
            subscriber.discard();
        }
        if (lastEventId != null) {
            executor.execute(() -> replay(channel, subscriber, lastEventId));
        }
        return emitter;
    }

    /**
     * A change committed by this instance: its user's streams here get it straight away, without waiting
     * for the bus and reading it back (the notice that follows finds it delivered). Streams elsewhere get
     * it through the bus. Runs in the committing thread, so it only renders and queues.
     */
    // fallbackExecution: a change that was a transaction of its own is published after it committed
    @TransactionalEventListener(phase = TransactionPhase.AFTER_COMMIT, fallbackExecution = true)
    void committed(DeviceStateChanged change) {
        Channel channel = channels.get(change.userId());
        if (channel == null || !channel.owner.tenantId().equals(change.tenantId())) {
            return; // a stream is bound to one tenant context, as reading under row-level security would be
        }
        try {
            DeviceStateChanged.Row row = change.row();
            publish(channel, List.of(new DeviceEvent(change.eventId(), row.seq(), change.tenantId(), change.userId(),
                    change.deviceId(), row.deviceName(), change.deviceType().code(), row.alexaEndpointId(),
                    row.iftttDeviceId(), change.kind().code(),
                    change.source().code(), change.version(), json.readTree(row.changes()),
                    json.readTree(row.snapshot()), change.occurredAt())));
        } catch (RuntimeException e) {
            // the change is committed; its notice from the bus still reaches the streams
            log.warn("could not hand event {} to live streams: {}", change.eventId(), e.toString());
        }
    }

    /** A committed event, from the bus. */
    void onNotice(EventNotice notice) {
        Channel channel = channels.get(notice.userId());
        if (channel != null && !channel.delivered(notice.eventId())) {
            channel.pending.add(notice.eventId());
            if (channel.draining.compareAndSet(false, true)) {
                executor.execute(() -> drain(channel));
            }
        }
    }

    /** A credential was revoked or its user removed (here or on another instance): its streams end now. */
    @Override
    public void revoked(CredentialRevoked revocation) {
        principals.forEach((subscriber, principal) -> {
            if (revocation.covers(principal)) {
                subscriber.complete();
            }
        });
    }

    /** After the bus was down: re-reads what each open channel may have missed. */
    void resync() {
        channels.values().forEach(channel -> executor.execute(() -> {
            long after = channel.lastSeq;
            if (after > 0) {
                publish(channel, read(channel, () -> reader.after(channel.owner.userId(), after, settings.replayLimit())));
            }
        }));
    }

    @EventListener(ContextClosedEvent.class)
    void close() {
        // Open streams would otherwise hold up the graceful shutdown for its whole timeout.
        closed = true;
        ticker.shutdownNow();
        List<Subscriber> all = new ArrayList<>();
        channels.values().forEach(c -> all.addAll(c.subscribers));
        all.forEach(Subscriber::complete);
        channels.clear();
        executor.shutdown();
    }

    private void drain(Channel channel) {
        do {
            Set<UUID> ids = new LinkedHashSet<>();
            UUID id;
            while ((id = channel.pending.poll()) != null) {
                ids.add(id);
            }
            if (!ids.isEmpty()) {
                publish(channel, read(channel, () -> reader.findAll(ids)));
            }
            channel.draining.set(false);
        } while (!channel.pending.isEmpty() && channel.draining.compareAndSet(false, true));
    }

    /**
     * A resume: the events after {@code after}; or, when retention may have dropped some of them, a
     * {@value #RESET} event instead (the client reloads the state), whose id is the resume point from then on.
     */
    private void replay(Channel channel, Subscriber subscriber, long after) {
        List<Subscriber.Rendered> backlog;
        try {
            backlog = TenantScope.call(channel.owner, () -> tx.execute(status -> {
                long expired = reader.expiredThrough();
                if (after < expired) {
                    long resumeAt = Math.max(reader.latest(channel.owner.userId()), expired);
                    return List.of(new Subscriber.Rendered(resumeAt, RESET, json.writeValueAsString(Map.of(
                            "type", RESET, "reason", "events_expired", "retention_days", retention.retention().toDays())),
                            null));
                }
                return reader.after(channel.owner.userId(), after, settings.replayLimit()).stream()
                        .map(this::render).toList();
            }));
        } catch (RuntimeException e) {
            log.warn("could not read device events for live streams: {}", e.toString());
            backlog = List.of();
        }
        subscriber.finishReplay(backlog);
    }

    /**
     * Hands events to the channel's streams once each, and each device's events in version order: a change
     * committed here reaches the streams at once, one committed a moment earlier elsewhere only after its
     * notice and a read, so the later change can arrive first. A device's versions have no gaps (its row
     * lock orders its changes), so an event past the next expected version waits for the ones before it;
     * if they have not come within {@link #GAP_WAIT} (a lost notice), they are read from the database.
     */
    private void publish(Channel channel, List<DeviceEvent> events) {
        List<DeviceEvent> gaps = new ArrayList<>();
        synchronized (channel) {
            for (DeviceEvent event : events) {
                if (!channel.firstDelivery(event.id())) {
                    continue;
                }
                Long last = channel.versions.get(event.deviceId());
                if (last != null && event.version() > last + 1) {
                    if (channel.held.computeIfAbsent(event.deviceId(), d -> new TreeMap<>()).isEmpty()) {
                        gaps.add(event);
                    }
                    channel.held.get(event.deviceId()).put(event.version(), event);
                    continue;
                }
                send(channel, event);
                releaseHeld(channel, event.deviceId());
            }
        }
        for (DeviceEvent event : gaps) {
            try {
                ticker.schedule(() -> executor.execute(() -> fillGap(channel, event.deviceId())),
                        GAP_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                return; // shutting down: the streams are being closed
            }
        }
    }

    /** Sends the held events of the device that are next in line. Holds the channel's lock. */
    private void releaseHeld(Channel channel, UUID deviceId) {
        TreeMap<Long, DeviceEvent> waiting = channel.held.get(deviceId);
        while (waiting != null && !waiting.isEmpty()
                && waiting.firstKey() <= channel.versions.getOrDefault(deviceId, 0L) + 1) {
            send(channel, waiting.pollFirstEntry().getValue());
        }
        if (waiting != null && waiting.isEmpty()) {
            channel.held.remove(deviceId);
        }
    }

    /** Holds the channel's lock. */
    private void send(Channel channel, DeviceEvent event) {
        Subscriber.Rendered rendered = render(event);
        channel.lastSeq = Math.max(channel.lastSeq, event.seq());
        channel.versions.merge(event.deviceId(), event.version(), Math::max);
        channel.subscribers.forEach(s -> s.deliver(rendered));
    }

    /** The events a device's held ones wait for did not come: read them, then send everything in order. */
    private void fillGap(Channel channel, UUID deviceId) {
        long from;
        long to;
        synchronized (channel) {
            TreeMap<Long, DeviceEvent> waiting = channel.held.get(deviceId);
            if (waiting == null || waiting.isEmpty()) {
                return;
            }
            from = channel.versions.getOrDefault(deviceId, 0L) + 1;
            to = waiting.firstKey() - 1;
        }
        List<DeviceEvent> missing = to < from ? List.of()
                : read(channel, () -> reader.ofDevice(channel.owner.userId(), deviceId, from, to));
        synchronized (channel) {
            for (DeviceEvent event : missing) {
                if (channel.firstDelivery(event.id())) {
                    send(channel, event);
                }
            }
            TreeMap<Long, DeviceEvent> waiting = channel.held.remove(deviceId);
            if (waiting != null) {
                // whatever is still missing is not there to read (or no longer kept): go on without it
                waiting.values().forEach(event -> send(channel, event));
            }
        }
    }

    private List<DeviceEvent> read(Channel channel, Supplier<List<DeviceEvent>> query) {
        try {
            return TenantScope.call(channel.owner, () -> tx.execute(status -> query.get()));
        } catch (RuntimeException e) {
            log.warn("could not read device events for live streams: {}", e.toString());
            return List.of();
        }
    }

    private Subscriber.Rendered render(DeviceEvent event) {
        return new Subscriber.Rendered(event.seq(), event.type(), json.writeValueAsString(event.body()), event);
    }

    private void heartbeat() {
        channels.values().forEach(c -> c.subscribers.forEach(Subscriber::ping));
    }

    /** The streams of one user on this instance. */
    private static final class Channel {
        /** How many recent event ids a channel remembers: a notice arrives milliseconds after the commit. */
        private static final int RECENT = 512;

        final TenantContext owner;
        /**
         * A set, not a copy-on-write list: a subscribe or unsubscribe stays O(1) whatever
         * {@code max-streams-per-user} allows (a list copies itself on each: 40 KB and 4-10 µs per stream at 10,000
         * streams of one user), for a fan-out some 10-15 ns slower per event (bench/StreamSubscribers.java).
         */
        final Set<Subscriber> subscribers = ConcurrentHashMap.newKeySet();
        final Queue<UUID> pending = new ConcurrentLinkedQueue<>();
        final AtomicBoolean draining = new AtomicBoolean();
        volatile long lastSeq;
        /** Per device: the version last sent, and events that arrived ahead of a version still missing. */
        final Map<UUID, Long> versions = new HashMap<>();
        final Map<UUID, TreeMap<Long, DeviceEvent>> held = new HashMap<>();
        // the same event comes from this instance's commit and from the bus: each is sent once
        private final Set<UUID> recent = Collections.newSetFromMap(new LinkedHashMap<>(64, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<UUID, Boolean> eldest) {
                return size() > RECENT;
            }
        });

        Channel(TenantContext owner) {
            this.owner = owner;
        }

        synchronized boolean delivered(UUID eventId) {
            return recent.contains(eventId);
        }

        /** Remembers the event; false if it was handed on before. */
        synchronized boolean firstDelivery(UUID eventId) {
            return recent.add(eventId);
        }
    }
}
