package io.virtdevice.alexa;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Amazon's timestamp formats (shared/spec/alexa.md §2, §7). {@code Instant.toString()} prints 0, 3, 6 or 9
 * fractional digits and PostgreSQL keeps microseconds, but {@code timeOfSample} allows at most 3, so every
 * timestamp is formatted with a fixed pattern: always milliseconds, always {@code Z}.
 */
final class AlexaTime {

    private static final DateTimeFormatter MILLIS =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private AlexaTime() {}

    /** A property's {@code timeOfSample}: when the value was last confirmed, never later than now. */
    static String timeOfSample(Instant sampled, Instant now) {
        Instant at = sampled == null || sampled.isAfter(now) ? now : sampled;
        return MILLIS.format(at);
    }
}
