package io.virtdevice.platform.jobs;

import com.github.kagkarlsson.scheduler.Scheduler;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Wakes this instance's db-scheduler as soon as the current transaction commits, so tasks staged in it
 * start within milliseconds instead of at the next poll. (db-scheduler's own immediate-execution hint fires
 * when the task is inserted, before the commit makes it visible, so on its own it usually finds nothing.)
 * Other instances still pick the work up at their next poll if this one is busy.
 */
@Component
public class SchedulerNudge {

    private final ObjectProvider<Scheduler> scheduler;

    // Lazy: tasks are dependencies of the Scheduler bean and use this class.
    SchedulerNudge(ObjectProvider<Scheduler> scheduler) {
        this.scheduler = scheduler;
    }

    /** Registers the wake-up with the current transaction; outside one, wakes the scheduler at once. */
    public void afterCommit() {
        if (!TransactionSynchronizationManager.isSynchronizationActive()) {
            now();
            return;
        }
        TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
            @Override
            public void afterCommit() {
                now();
            }
        });
    }

    private void now() {
        Scheduler s = scheduler.getIfAvailable();
        if (s != null) {
            s.triggerCheckForDueExecutions();
        }
    }
}
