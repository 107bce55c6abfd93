package io.virtdevice.events;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code /api/v1/event-failures}: the changes a reaction (webhooks, later Alexa and IFTTT) failed on, kept
 * for their owner (read scope), and their retry (write scope).
 */
@RestController
@RequestMapping("/api/v1/event-failures")
class EventFailureController {

    private final EventFailures failures;

    EventFailureController(EventFailures failures) {
        this.failures = failures;
    }

    @GetMapping
    Map<String, List<EventFailure>> list() {
        return Map.of("items", failures.list());
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
