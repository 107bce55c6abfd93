package io.virtdevice.events;

import java.util.List;

/**
 * The durable reactions to device changes (webhooks; later Alexa change reports and IFTTT realtime
 * notifications) plug in here. For every committed change the {@link DeviceEventDispatcher} calls each
 * consumer once, in order per owner, inside a dispatch transaction of that consumer bound to the event
 * owner's tenant context (a transaction covers a batch of events, possibly of several owners). Each consumer
 * has its own position: one consumer's failure never delays another.
 *
 * <p>A consumer only <em>stages</em> work there (inserts rows, schedules its own db-scheduler tasks) and does
 * no network I/O, so one slow integration never holds up another. Staging must be idempotent: when it fails,
 * the batch rolls back and runs again, the failing event alone (in a savepoint); an event that keeps failing
 * is parked for this consumer and owner, retried with backoff and, after
 * {@code virtdevice.events.dispatch-max-failures} attempts, kept as a dead letter ({@code event_failures},
 * {@code GET /api/v1/event-failures}). Register after-commit work only once staging has succeeded (a failed
 * event's savepoint is rolled back).
 */
public interface DeviceEventConsumer {

    /**
     * The consumer's stable name: the key of its position and of its parked events (lower case letters,
     * digits, {@code . _ -}; never rename a consumer that has run, or it starts afresh).
     */
    String name();

    void stage(DeviceEvent event);

    /**
     * Stages consecutive events of one owner, in commit order; what the dispatcher calls. By default one
     * {@link #stage} after the other; a consumer may stage the whole run with one statement instead.
     */
    default void stageAll(List<DeviceEvent> events) {
        events.forEach(this::stage);
    }
}
