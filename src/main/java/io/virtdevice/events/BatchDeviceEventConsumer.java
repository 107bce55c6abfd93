package io.virtdevice.events;

import java.util.List;

/**
 * A consumer that stages a whole run of one owner's events at once (one statement, one look at shared
 * state), which is what the dispatcher hands over; a single event is a run of one. The dispatcher never
 * hands over an empty run.
 */
public interface BatchDeviceEventConsumer extends DeviceEventConsumer {

    @Override
    default void stage(DeviceEvent event) {
        stageAll(List.of(event));
    }

    /** Stages a non-empty run of one owner's consecutive events, in commit order. */
    @Override
    void stageAll(List<DeviceEvent> events);
}
