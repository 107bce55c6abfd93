package io.virtdevice.events;

import java.time.Instant;
import java.util.UUID;

/**
 * An event one reaction (consumer) failed on, as its owner sees it in {@code GET /api/v1/event-failures}.
 *
 * @param consumer the reaction: {@code webhooks} (later also Alexa change reports, IFTTT realtime)
 * @param status {@code retrying} (retried with backoff; the owner's later events for this consumer wait
 *     behind it, so their order holds), {@code dead} (given up after
 *     {@code virtdevice.events.dispatch-max-failures} attempts; later events flow; {@code POST .../retry}
 *     hands it to the consumer again) or {@code waiting} (behind an older failing event)
 * @param nextAttemptAt when it is tried again (null when dead)
 */
public record EventFailure(
        UUID id,
        String consumer,
        UUID eventId,
        long eventSeq,
        String eventType,
        UUID deviceId,
        String status,
        int attempts,
        String error,
        Instant firstFailedAt,
        Instant lastFailedAt,
        Instant nextAttemptAt,
        Instant createdAt) {

    static final String RETRYING = "retrying";
    static final String DEAD = "dead";
    static final String WAITING = "waiting";
}
