package io.virtdevice.events;

import io.virtdevice.platform.web.ApiProblem;
import io.virtdevice.platform.web.KeysetCursor;
import java.util.List;
import java.util.UUID;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/** The signed-in user's events that a reaction failed on (the dead-letter store), and their retry. */
@Service
public class EventFailures {

    public static final int MAX_PAGE_SIZE = 100;

    private final EventFailureRepository failures;
    private final DeviceEventDispatcher dispatcher;

    EventFailures(EventFailureRepository failures, DeviceEventDispatcher dispatcher) {
        this.failures = failures;
        this.dispatcher = dispatcher;
    }

    /**
     * Failing and given-up events, newest first, one page at a time.
     *
     * @param limit 1 to {@value #MAX_PAGE_SIZE}
     * @param cursor the previous page's {@code nextCursor}, or null for the newest; one this API did not issue is
     *     a 400 problem
     */
    @Transactional(readOnly = true)
    public EventFailurePage list(int limit, String cursor) {
        if (limit < 1 || limit > MAX_PAGE_SIZE) {
            throw new IllegalArgumentException("limit must be between 1 and " + MAX_PAGE_SIZE);
        }
        KeysetCursor after = KeysetCursor.decode(cursor);
        List<EventFailure> rows = failures.list(after, limit + 1);
        if (rows.size() <= limit) {
            return new EventFailurePage(rows, null);
        }
        List<EventFailure> page = rows.subList(0, limit);
        EventFailure last = page.get(limit - 1);
        return new EventFailurePage(List.copyOf(page), new KeysetCursor(last.createdAt(), last.id()).encode());
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
