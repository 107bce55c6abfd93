package io.virtdevice.webhooks;

import java.time.Duration;
import java.time.Instant;
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
 * @param firstAttemptLease how long a message's first attempt belongs to the process that staged it (which
 *     makes it right after the dispatch commits); a message still unattempted then is handed to db-scheduler.
 *     At least {@code timeout} + 10 s: a process only starts a first attempt while its lease has more than
 *     {@code timeout} + 5 s left, so an attempt never outlives its lease
 * @param recoverInterval how often each instance looks for expired first-attempt leases
 * @param firstAttemptConcurrency first attempts in flight at once per process; more wait their turn
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
        @DefaultValue("30") int retentionDays,
        @DefaultValue("60s") Duration firstAttemptLease,
        @DefaultValue("10s") Duration recoverInterval,
        @DefaultValue("64") int firstAttemptConcurrency) {

    public WebhookSettings {
        allowedCidrs = List.copyOf(allowedCidrs);
        retryDelays = List.copyOf(retryDelays);
        if (retryDelays.size() > 100 || retryDelays.stream().anyMatch(d -> d.isNegative())) {
            throw new IllegalArgumentException("virtdevice.webhooks.retry-delays: at most 100 non-negative durations");
        }
        if (firstAttemptLease.compareTo(timeout.plus(LEASE_MARGIN.multipliedBy(2))) < 0) {
            throw new IllegalArgumentException("virtdevice.webhooks.first-attempt-lease must be at least "
                    + "virtdevice.webhooks.timeout + 10s");
        }
        if (recoverInterval.isNegative() || recoverInterval.isZero() || firstAttemptConcurrency < 1) {
            throw new IllegalArgumentException(
                    "virtdevice.webhooks.recover-interval and first-attempt-concurrency must be positive");
        }
    }

    /** Safety margin between the latest start of a first attempt plus its timeout and the lease's end. */
    static final Duration LEASE_MARGIN = Duration.ofSeconds(5);

    /** The latest time a first attempt leased until {@code leaseUntil} may start. */
    Instant firstAttemptStartBy(Instant leaseUntil) {
        return leaseUntil.minus(timeout).minus(LEASE_MARGIN);
    }

    /** Automatic attempts per message: the first one plus one per retry delay. */
    int maxAttempts() {
        return retryDelays.size() + 1;
    }
}
