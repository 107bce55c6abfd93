package io.virtdevice.alexa;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Proactive events to Alexa's Event Gateway (shared/spec/alexa.md §1, §7).
 *
 * @param na the North America gateway
 * @param eu the Europe and India gateway
 * @param fe the Far East and Australia gateway
 * @param timeout the most one request may take, from connecting to the end of the answer
 * @param connectTimeout the most connecting may take
 * @param retryDelays the wait before each retry after a 429, a 5xx or a network error (each ±20 % jitter);
 *     after the last one the event fails. A 401 is refreshed and retried once at once; 400, 403, 404, 413
 *     are not retried
 * @param changeReportTtl a ChangeReport whose latest change is older than this is no longer sent (expired)
 * @param doorbellPressTtl a DoorbellPress older than this is no longer sent (expired)
 * @param lease how long an attempt belongs to the process that claimed it; a process that died is seen at
 *     once (its advisory lock is gone), so this only bounds a hung one. At least {@code 3 × timeout}: an
 *     attempt may send three times (401 refresh, 403 region re-check)
 * @param pollInterval how often each instance looks for retries that are due and for events a dead process
 *     left behind
 * @param historyPerEndpoint finished events kept per endpoint for the diagnostics
 * @param concurrency requests in flight at once per process
 * @param historyRetention finished events (sent, failed, expired, dropped) older than this are deleted by
 *     {@code alexa.purge-events}, whatever their endpoint (a deleted device's history is never pruned by
 *     {@code historyPerEndpoint}); pending and held events are always kept. At least a day: the diagnostics'
 *     health summary counts the last 24 h
 */
@ConfigurationProperties("virtdevice.alexa.event-gateway")
public record AlexaEventSettings(
        @DefaultValue("https://api.amazonalexa.com/v3/events") URI na,
        @DefaultValue("https://api.eu.amazonalexa.com/v3/events") URI eu,
        @DefaultValue("https://api.fe.amazonalexa.com/v3/events") URI fe,
        @DefaultValue("10s") Duration timeout,
        @DefaultValue("3s") Duration connectTimeout,
        @DefaultValue({"1s", "2s", "4s", "8s", "16s", "32s"}) List<Duration> retryDelays,
        @DefaultValue("1h") Duration changeReportTtl,
        @DefaultValue("60s") Duration doorbellPressTtl,
        @DefaultValue("60s") Duration lease,
        @DefaultValue("1s") Duration pollInterval,
        @DefaultValue("20") int historyPerEndpoint,
        @DefaultValue("64") int concurrency,
        @DefaultValue("30d") Duration historyRetention) {

    /** The diagnostics' health summary counts the events finished in the last 24 h. */
    static final Duration MIN_HISTORY_RETENTION = AlexaDiagnostics.WINDOW;

    public AlexaEventSettings {
        retryDelays = List.copyOf(retryDelays);
        if (retryDelays.size() > 20 || retryDelays.stream().anyMatch(Duration::isNegative)) {
            throw new IllegalArgumentException(
                    "virtdevice.alexa.event-gateway.retry-delays: at most 20 non-negative durations");
        }
        if (lease.compareTo(timeout.multipliedBy(3)) < 0) {
            throw new IllegalArgumentException(
                    "virtdevice.alexa.event-gateway.lease must be at least 3 × virtdevice.alexa.event-gateway.timeout");
        }
        if (pollInterval.isNegative() || pollInterval.isZero() || historyPerEndpoint < 1 || concurrency < 1) {
            throw new IllegalArgumentException("virtdevice.alexa.event-gateway.poll-interval, history-per-endpoint "
                    + "and concurrency must be positive");
        }
        if (historyRetention.compareTo(MIN_HISTORY_RETENTION) < 0) {
            throw new IllegalArgumentException("virtdevice.alexa.event-gateway.history-retention must be at least "
                    + "1d (the diagnostics count the last 24 h)");
        }
    }

    /** The gateway of a region. */
    URI url(AlexaRegion region) {
        return switch (region) {
            case NA -> na;
            case EU -> eu;
            case FE -> fe;
        };
    }

    /** Attempts per event: the first one plus one per retry delay. */
    int maxAttempts() {
        return retryDelays.size() + 1;
    }
}
