package io.virtdevice.events;

import java.util.List;

/**
 * The durable reactions to device changes (webhooks; later Alexa change reports and IFTTT realtime
 * notifications) plug in here. For every committed change the {@link DeviceEventDispatcher} calls each
 * consumer once, in commit order, inside the dispatch transaction bound to the event owner's tenant context
 * (a transaction covers a batch of events, possibly of several owners).
 *
 * <p>A consumer only <em>stages</em> work there (inserts rows, schedules its own db-scheduler tasks) and does
 * no network I/O, so one slow integration never holds up another. Staging must be idempotent: when any
 * consumer fails, the whole batch rolls back and runs again later.
 */
public interface DeviceEventConsumer {

    void stage(DeviceEvent event);

    /**
     * Stages consecutive events of one owner, in commit order; what the dispatcher calls. By default one
     * {@link #stage} after the other; a consumer may stage the whole run with one statement instead.
     */
    default void stageAll(List<DeviceEvent> events) {
        events.forEach(this::stage);
    }
}
