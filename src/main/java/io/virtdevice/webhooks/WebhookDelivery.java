package io.virtdevice.webhooks;

import java.time.Instant;
import java.util.UUID;

/**
 * One message to one webhook, with the outcome of its latest attempt.
 *
 * @param webhookId the {@code webhook-id} header: the same on every attempt and redelivery (receivers
 *     deduplicate on it)
 * @param eventId the device event delivered, or null for a test message
 * @param status {@code pending} (an attempt is scheduled), {@code succeeded} or {@code failed}
 * @param attempts attempts made so far
 * @param httpStatus the receiver's status code on the latest attempt, if it answered
 * @param latencyMs how long the latest attempt took
 * @param responseExcerpt the first KiB of the latest response body
 * @param error why the latest attempt failed
 * @param nextAttemptAt when the next attempt is due, while pending
 */
public record WebhookDelivery(
        UUID id,
        String webhookId,
        UUID eventId,
        String eventType,
        String status,
        int attempts,
        Integer httpStatus,
        Integer latencyMs,
        String responseExcerpt,
        String error,
        Instant createdAt,
        Instant lastAttemptAt,
        Instant nextAttemptAt) {}
