package io.virtdevice.ifttt;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The IFTTT service.
 *
 * @param serviceKey the service key from the IFTTT platform (service "Details" tab): IFTTT sends it on
 *     {@code /status} and {@code /test/setup}, and VirtDevice sends it on realtime notifications. Blank: those
 *     two endpoints answer 401 and no realtime notification is staged
 * @param realtimeUrl where realtime notifications go (IFTTT's Realtime API)
 * @param realtimeDebounce how long a matched trigger identity waits before it is announced; changes meanwhile
 *     are coalesced into the same notice
 * @param realtimePollInterval how often each instance looks for due notices
 * @param realtimeRetryDelays the wait before each retry of a failed notification (the last repeats: an IFTTT
 *     outage delays notices, it never drops them)
 * @param realtimeTimeout the most one notification request may take
 * @param realtimeBatchSize trigger identities per request (IFTTT allows at most 1000)
 * @param testTokenLifetime how long the access token {@code /test/setup} returns stays valid
 * @param pollTimePrecision how far a trigger identity's recorded last poll may lag: a poll writes it only when
 *     the recorded one is older (bookkeeping for the dashboard; a write on every poll would cost each poll a
 *     WAL flush)
 */
@ConfigurationProperties("virtdevice.ifttt")
public record IftttSettings(
        @DefaultValue("") String serviceKey,
        @DefaultValue("https://realtime.ifttt.com/v1/notifications") URI realtimeUrl,
        @DefaultValue("1s") Duration realtimeDebounce,
        @DefaultValue("250ms") Duration realtimePollInterval,
        @DefaultValue({"1s", "5s", "30s", "2m", "10m", "30m"}) List<Duration> realtimeRetryDelays,
        @DefaultValue("10s") Duration realtimeTimeout,
        @DefaultValue("1000") int realtimeBatchSize,
        @DefaultValue("1h") Duration testTokenLifetime,
        @DefaultValue("1m") Duration pollTimePrecision) {

    public IftttSettings {
        serviceKey = serviceKey == null ? "" : serviceKey.strip();
        realtimeRetryDelays = List.copyOf(realtimeRetryDelays);
        if (realtimeBatchSize < 1 || realtimeBatchSize > 1000) {
            throw new IllegalArgumentException("virtdevice.ifttt.realtime-batch-size must be between 1 and 1000");
        }
        if (realtimeRetryDelays.isEmpty() || realtimeRetryDelays.stream().anyMatch(d -> d.isNegative() || d.isZero())) {
            throw new IllegalArgumentException("virtdevice.ifttt.realtime-retry-delays: positive durations, at least one");
        }
        if (realtimeDebounce.isNegative() || realtimePollInterval.isNegative() || realtimePollInterval.isZero()
                || realtimeTimeout.isNegative() || realtimeTimeout.isZero()) {
            throw new IllegalArgumentException("virtdevice.ifttt realtime durations must be positive");
        }
        if (pollTimePrecision.isNegative()) {
            throw new IllegalArgumentException("virtdevice.ifttt.poll-time-precision must not be negative");
        }
        if (!"https".equals(realtimeUrl.getScheme()) && !"http".equals(realtimeUrl.getScheme())) {
            throw new IllegalArgumentException("virtdevice.ifttt.realtime-url must be an http(s) URL");
        }
    }

    boolean serviceKeyConfigured() {
        return !serviceKey.isEmpty();
    }
}
