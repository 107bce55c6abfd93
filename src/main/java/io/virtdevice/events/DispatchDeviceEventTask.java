package io.virtdevice.events;

import com.github.kagkarlsson.scheduler.task.DeadExecutionHandler;
import com.github.kagkarlsson.scheduler.task.ExecutionContext;
import com.github.kagkarlsson.scheduler.task.FailureHandler;
import com.github.kagkarlsson.scheduler.task.TaskInstance;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import io.virtdevice.platform.tenancy.TenantContext;
import io.virtdevice.platform.tenancy.TenantScope;
import java.io.Serial;
import java.io.Serializable;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * {@code events.dispatch}: fans one committed device event out to every {@link DeviceEventConsumer}, in one
 * transaction under the event owner's tenant context. Scheduled in the change's own transaction (see
 * {@link DeviceEventOutbox}), so it exists exactly when the change committed; claimed by one instance of
 * the cluster ({@code FOR UPDATE SKIP LOCKED}); a failure rolls the whole fan-out back and retries it with
 * exponential backoff, and an instance that dies mid-run is detected by its stale heartbeat and the task
 * runs again.
 */
@Component
class DispatchDeviceEventTask extends OneTimeTask<DispatchDeviceEventTask.Job> {

    static final String NAME = "events.dispatch";

    private static final Logger log = LoggerFactory.getLogger(DispatchDeviceEventTask.class);

    private final DeviceEventReader events;
    private final ObjectProvider<DeviceEventConsumer> consumers;
    private final TransactionTemplate tx;
    private final SchedulerNudge nudge;

    /** The task data: whose event (the tenant context to read it under) and which. */
    record Job(UUID tenantId, UUID userId, UUID eventId) implements Serializable {
        @Serial
        private static final long serialVersionUID = 1L;

        TenantContext owner() {
            return new TenantContext(tenantId, userId);
        }
    }

    // Consumers are looked up per run: they schedule their own tasks, so they depend on the Scheduler,
    // which depends on this task.
    DispatchDeviceEventTask(DeviceEventReader events, ObjectProvider<DeviceEventConsumer> consumers,
            PlatformTransactionManager transactionManager, SchedulerNudge nudge) {
        super(NAME, Job.class, new FailureHandler.ExponentialBackoffFailureHandler<>(Duration.ofSeconds(1), 2.0),
                new DeadExecutionHandler.ReviveDeadExecution<>());
        this.events = events;
        this.consumers = consumers;
        this.tx = new TransactionTemplate(transactionManager);
        this.nudge = nudge;
    }

    @Override
    public void executeOnce(TaskInstance<Job> instance, ExecutionContext context) {
        Job job = instance.getData();
        List<DeviceEventConsumer> all = consumers.orderedStream().toList();
        TenantScope.run(job.owner(), () -> tx.executeWithoutResult(status -> {
            Optional<DeviceEvent> event = events.find(job.eventId());
            if (event.isEmpty()) {
                // The owner (and with it the event) was deleted before the dispatch ran.
                log.debug("device event {} no longer exists; nothing to dispatch", job.eventId());
                return;
            }
            all.forEach(consumer -> consumer.stage(event.get()));
            nudge.afterCommit();
        }));
    }
}
