package io.virtdevice.events;

import io.virtdevice.platform.web.ApiProblem;
import java.util.List;
import java.util.UUID;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/** The signed-in user's events that a reaction failed on (the dead-letter store), and their retry. */
@Service
public class EventFailures {

    static final int LIST_LIMIT = 200;

    private final EventFailureRepository failures;
    private final DeviceEventDispatcher dispatcher;

    EventFailures(EventFailureRepository failures, DeviceEventDispatcher dispatcher) {
        this.failures = failures;
        this.dispatcher = dispatcher;
    }

    /** Failing and given-up events, newest first (at most {@value #LIST_LIMIT}). */
    @Transactional(readOnly = true)
    public List<EventFailure> list() {
        return failures.list(LIST_LIMIT);
    }

    @Transactional(readOnly = true)
    public EventFailure get(UUID id) {
        return failures.find(id).filter(f -> !EventFailure.WAITING.equals(f.status()))
                .orElseThrow(() -> ApiProblem.notFound("Event failure"));
    }

    /** Hands a dead letter to its consumer again (that consumer only), at once. */
    @Transactional
    public EventFailure retry(UUID id) {
        EventFailure failure = get(id);
        if (!failures.retry(id)) {
            throw ApiProblem.conflict("This event is still being retried; retry it once it has been given up.");
        }
        TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
            @Override
            public void afterCommit() {
                dispatcher.retrySoon();
            }
        });
        return failures.find(failure.id()).orElseThrow();
    }
}
