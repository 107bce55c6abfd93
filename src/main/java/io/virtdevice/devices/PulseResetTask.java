package io.virtdevice.devices;

import com.github.kagkarlsson.scheduler.task.CompletionHandler;
import com.github.kagkarlsson.scheduler.task.DeadExecutionHandler;
import com.github.kagkarlsson.scheduler.task.ExecutionContext;
import com.github.kagkarlsson.scheduler.task.FailureHandler;
import com.github.kagkarlsson.scheduler.task.TaskInstance;
import com.github.kagkarlsson.scheduler.task.helper.CustomTask;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Function;
import org.springframework.stereotype.Component;

/**
 * {@code devices.pulse-reset}: ends one pulse of a contact or motion sensor (NOT_DETECTED, source
 * {@code system}) through {@link DeviceManagement}, in the owner's tenant scope, if that pulse is still the
 * one under way; see {@link PulseResets}. A failure (the database out of reach) is retried with backoff; an
 * execution whose instance died is revived (the work is idempotent).
 */
@Component
class PulseResetTask extends CustomTask<PulseResets.Job> {

    private final PulseResets pulses;

    PulseResetTask(PulseResets pulses) {
        super(PulseResets.TASK, PulseResets.Job.class, null, Function.identity(),
                new FailureHandler.ExponentialBackoffFailureHandler<>(Duration.ofSeconds(1), 2.0),
                new DeadExecutionHandler.ReviveDeadExecution<>());
        this.pulses = pulses;
    }

    @Override
    public CompletionHandler<PulseResets.Job> execute(TaskInstance<PulseResets.Job> instance, ExecutionContext context) {
        PulseResets.Job job = instance.getData();
        Instant again = pulses.finish(job);
        if (again == null) {
            return new CompletionHandler.OnCompleteRemove<>();
        }
        pulses.runAt(job, again);
        return (complete, operations) -> operations.reschedule(complete, again);
    }
}
