package io.virtdevice.events;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * One open stream. Everything it sends goes through its own queue, drained by one task at a time, so
 * events leave in the order they were handed over and a slow client only ever holds up itself.
 *
 * <p>A resuming stream first holds live events back while its backlog is read, then sends the backlog and
 * the held events newer than it, so nothing is sent twice or out of order across the switch.
 */
final class Subscriber {

    /**
     * An event rendered once per channel and shared by its subscribers.
     *
     * @param event the event itself, for subscribers with their own {@link LiveFormat}; null for a reset
     */
    record Rendered(long seq, String type, String json, DeviceEvent event) {}

    private enum Ping {
        INSTANCE
    }

    private final SseEmitter emitter;
    private final Executor executor;
    private final Queue<Object> outbox = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean draining = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Runnable onClose;
    private final LiveFormat format;
    private final Object replayLock = new Object();
    private List<Rendered> held;
    private long replayedUpTo;

    Subscriber(SseEmitter emitter, Executor executor, boolean resuming, Runnable onClose) {
        this(emitter, executor, resuming, onClose, null);
    }

    /** With a format, each event is rendered for this subscriber (in its own sending thread). */
    Subscriber(SseEmitter emitter, Executor executor, boolean resuming, Runnable onClose, LiveFormat format) {
        this.format = format;
        this.emitter = emitter;
        this.executor = executor;
        this.onClose = onClose;
        this.held = resuming ? new ArrayList<>() : null;
    }

    SseEmitter emitter() {
        return emitter;
    }

    void deliver(Rendered event) {
        synchronized (replayLock) {
            if (held != null) {
                held.add(event);
                return;
            }
            if (event.seq() <= replayedUpTo) {
                return;
            }
        }
        enqueue(event);
    }

    /** Ends the resume: sends the backlog, then the live events that arrived meanwhile and are newer. */
    void finishReplay(List<Rendered> backlog) {
        synchronized (replayLock) {
            backlog.forEach(this::enqueue);
            replayedUpTo = backlog.stream().mapToLong(Rendered::seq).max().orElse(0);
            if (held != null) {
                held.stream()
                        .filter(e -> e.seq() > replayedUpTo)
                        .sorted(Comparator.comparingLong(Rendered::seq))
                        .forEach(this::enqueue);
                held = null;
            }
        }
    }

    void ping() {
        enqueue(Ping.INSTANCE);
    }

    /** Ends the stream from the server side (shutdown, timeout). */
    void complete() {
        if (closed.compareAndSet(false, true)) {
            onClose.run();
            try {
                emitter.complete();
            } catch (RuntimeException e) {
                // the response is already gone
            }
        }
    }

    /** The stream ended on the client side or failed: forget it. */
    void discard() {
        if (closed.compareAndSet(false, true)) {
            onClose.run();
        }
    }

    private void enqueue(Object item) {
        if (closed.get()) {
            return;
        }
        outbox.add(item);
        if (draining.compareAndSet(false, true)) {
            executor.execute(this::drain);
        }
    }

    private void drain() {
        do {
            Object item;
            while ((item = outbox.poll()) != null) {
                if (!closed.get()) {
                    send(item);
                }
            }
            draining.set(false);
        } while (!outbox.isEmpty() && draining.compareAndSet(false, true));
    }

    private void send(Object item) {
        try {
            if (item instanceof Rendered event && format != null) {
                LiveFormat.LiveEvent live = event.event() == null ? format.reset() : format.render(event.event());
                emitter.send(SseEmitter.event().id(Long.toString(event.seq())).name(live.name()).data(live.data()));
            } else if (item instanceof Rendered event) {
                emitter.send(SseEmitter.event().id(Long.toString(event.seq())).name(event.type()).data(event.json()));
            } else {
                emitter.send(SseEmitter.event().comment("keep-alive"));
            }
        } catch (IOException | RuntimeException e) {
            // The client went away (or the emitter was completed meanwhile).
            if (closed.compareAndSet(false, true)) {
                onClose.run();
                try {
                    emitter.completeWithError(e);
                } catch (RuntimeException ignored) {
                    // already completed
                }
            }
        }
    }
}
