package io.virtdevice.webhooks;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A user's webhook subscription as the API shows it; the signing secret is never part of it (it is shown
 * once, at creation and rotation).
 *
 * @param deviceId only this device's events, or null for all of the user's devices
 * @param events the event types delivered
 * @param headers custom request headers ({@code X-…} names only)
 * @param disabledReason why it is disabled: {@code user}, {@code gone} (the receiver answered 410) or
 *     {@code failing} (every attempt failed for {@code virtdevice.webhooks.disable-after})
 * @param failureCount failed attempts since the last success
 * @param previousSecretExpiresAt until when the rotated-out secret still signs, if a rotation is under way
 */
public record Webhook(
        UUID id,
        String url,
        UUID deviceId,
        List<String> events,
        Map<String, String> headers,
        boolean enabled,
        String disabledReason,
        Instant disabledAt,
        int failureCount,
        Instant lastTriggeredAt,
        Integer lastStatusCode,
        Instant secretRotatedAt,
        Instant previousSecretExpiresAt,
        Instant createdAt,
        Instant updatedAt) {

    /** The event types a webhook can subscribe to. */
    public static final List<String> EVENT_TYPES =
            List.of("device.created", "device.updated", "device.deleted", "property.changed", "doorbell.pressed");

    /** The type of the event {@code POST /webhooks/{id}/test} sends. */
    public static final String TEST_EVENT = "webhook.test";
}
