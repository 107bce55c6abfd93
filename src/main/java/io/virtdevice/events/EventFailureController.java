package io.virtdevice.events;

import io.virtdevice.platform.web.PageLimit;
import java.util.UUID;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code /api/v1/event-failures}: the changes a reaction (webhooks, later Alexa and IFTTT) failed on, kept
 * for their owner (read scope), and their retry (write scope).
 */
@RestController
@RequestMapping("/api/v1/event-failures")
class EventFailureController {

    private static final int DEFAULT_PAGE_SIZE = 50;

    private final EventFailures failures;

    EventFailureController(EventFailures failures) {
        this.failures = failures;
    }

    /** Newest first, {@code limit} (1 to {@value EventFailures#MAX_PAGE_SIZE}, default 50) at a time. */
    @GetMapping
    EventFailurePage list(@RequestParam(required = false) String limit,
            @RequestParam(required = false) String cursor) {
        return failures.list(PageLimit.parse(limit, DEFAULT_PAGE_SIZE, EventFailures.MAX_PAGE_SIZE), cursor);
    }

    @GetMapping("/{id}")
    EventFailure get(@PathVariable UUID id) {
        return failures.get(id);
    }

    /** 202: the event is handed to its consumer again shortly; 409 while it is still being retried. */
    @PostMapping("/{id}/retry")
    ResponseEntity<EventFailure> retry(@PathVariable UUID id) {
        return ResponseEntity.accepted().body(failures.retry(id));
    }
}
