package io.virtdevice.events;

import com.github.kagkarlsson.scheduler.SchedulerClient;
import io.virtdevice.devices.DeviceStateChanged;
import java.time.Instant;
import java.util.List;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * The write side of the transactional outbox: for every {@link DeviceStateChanged} it schedules the
 * {@code events.dispatch} task <em>inside the change's transaction</em>. The scheduler's DataSource is
 * Spring-transaction-aware (the db-scheduler starter wraps it in a {@code TransactionAwareDataSourceProxy}),
 * so the task row commits with the {@code device_events} row or not at all. This is one small insert on
 * the write path; all consumer work happens later, in the task.
 */
@Component
class DeviceEventOutbox {

    private final SchedulerClient scheduler;
    private final DispatchDeviceEventTask dispatch;
    private final SchedulerNudge nudge;

    DeviceEventOutbox(SchedulerClient scheduler, DispatchDeviceEventTask dispatch, SchedulerNudge nudge) {
        this.scheduler = scheduler;
        this.dispatch = dispatch;
        this.nudge = nudge;
    }

    // A plain (synchronous) listener on purpose: it must run before the commit, in the same transaction.
    @EventListener
    void on(DeviceStateChanged event) {
        if (!TransactionSynchronizationManager.isActualTransactionActive()) {
            throw new IllegalStateException("DeviceStateChanged must be published inside the change's transaction");
        }
        // One INSERT (scheduleIfNotExists would SELECT first); the event id is new, so it cannot exist.
        scheduler.scheduleBatch(List.of(dispatch.instance(event.eventId().toString(),
                new DispatchDeviceEventTask.Job(event.tenantId(), event.userId(), event.eventId()))), Instant.now());
        nudge.afterCommit();
    }
}
