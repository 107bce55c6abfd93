package io.virtdevice.events;

/**
 * The durable reactions to device changes (webhooks; later Alexa change reports and IFTTT realtime
 * notifications) plug in here. For every committed change the {@code events.dispatch} task calls each
 * consumer once, inside one transaction bound to the event owner's tenant context.
 *
 * <p>A consumer only <em>stages</em> work there (inserts rows, schedules its own db-scheduler tasks) and does
 * no network I/O, so one slow integration never holds up another. Staging must be idempotent: when any
 * consumer fails, the whole dispatch rolls back and runs again later.
 */
public interface DeviceEventConsumer {

    void stage(DeviceEvent event);
}
