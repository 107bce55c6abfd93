package io.virtdevice.events;

import com.github.kagkarlsson.scheduler.task.ExecutionContext;
import com.github.kagkarlsson.scheduler.task.FailureHandler;
import com.github.kagkarlsson.scheduler.task.TaskInstance;
import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.schedule.Schedules;
import java.time.Duration;
import org.springframework.stereotype.Component;

/**
 * {@code events.relay}: the db-scheduler side of the outbox relay. Every
 * {@code virtdevice.events.dispatch-interval} one instance of the cluster (a recurring task is one row)
 * dispatches whatever committed change events are left, in the scheduler's thread, so changes are relayed
 * by the cluster's durable job runner even when no instance was woken for them (another instance's
 * changes, a crash's leftovers, a dispatcher thread that stopped). The instance that commits a change does
 * not wait for this: its {@link DeviceEventDispatcher} thread relays at once. Both take each consumer's
 * position row with {@code SKIP LOCKED}, so they never dispatch the same event twice. It also hands due
 * parked events (a consumer's failures) back to their consumer.
 */
@Component
class RelayDeviceEventsTask extends RecurringTask<Void> {

    static final String NAME = "events.relay";

    private final DeviceEventDispatcher dispatcher;

    RelayDeviceEventsTask(DeviceEventDispatcher dispatcher, EventsSettings settings) {
        super(NAME, Schedules.fixedDelay(settings.dispatchInterval()), Void.class,
                new FailureHandler.OnFailureRetryLater<>(Duration.ofSeconds(5)));
        this.dispatcher = dispatcher;
    }

    @Override
    public void executeRecurringly(TaskInstance<Void> instance, ExecutionContext context) {
        dispatcher.sweep();
    }
}
