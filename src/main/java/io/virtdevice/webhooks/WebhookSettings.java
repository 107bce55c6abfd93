package io.virtdevice.webhooks;

import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Outbound webhooks.
 *
 * @param allowedCidrs the only way to let webhooks reach private, loopback or other internal addresses
 *     (and to use plain {@code http}): e.g. {@code 127.0.0.1/32} for local development and tests. Default
 *     empty; the {@code prod} profile refuses to start when it names any internal range
 * @param retryDelays the wait before each retry after a failed attempt (each gets ±10% jitter; a longer
 *     {@code Retry-After} wins): the first attempt is immediate, so the default makes ten attempts over
 *     about three days
 * @param timeout the most one attempt may take, from connecting to the end of the response
 * @param connectTimeout the most connecting may take
 * @param disableAfter a webhook whose attempts have all failed for this long is disabled
 * @param secretOverlap how long a rotated-out secret keeps signing next to the new one
 * @param maxPerUser webhooks per user
 * @param retentionDays finished deliveries are kept this many days in the delivery log
 */
@ConfigurationProperties("virtdevice.webhooks")
public record WebhookSettings(
        @DefaultValue List<String> allowedCidrs,
        @DefaultValue({"5s", "5m", "30m", "2h", "5h", "10h", "14h", "20h", "24h"}) List<Duration> retryDelays,
        @DefaultValue("15s") Duration timeout,
        @DefaultValue("5s") Duration connectTimeout,
        @DefaultValue("72h") Duration disableAfter,
        @DefaultValue("24h") Duration secretOverlap,
        @DefaultValue("20") int maxPerUser,
        @DefaultValue("30") int retentionDays) {

    public WebhookSettings {
        allowedCidrs = List.copyOf(allowedCidrs);
        retryDelays = List.copyOf(retryDelays);
        if (retryDelays.size() > 100 || retryDelays.stream().anyMatch(d -> d.isNegative())) {
            throw new IllegalArgumentException("virtdevice.webhooks.retry-delays: at most 100 non-negative durations");
        }
    }

    /** Automatic attempts per message: the first one plus one per retry delay. */
    int maxAttempts() {
        return retryDelays.size() + 1;
    }
}
