package io.virtdevice.platform.web;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import org.springframework.stereotype.Component;

/**
 * How pages write times: UTC, to the second, the same on every page and in live updates. Templates call it as
 * {@code ${@times.format(instant)}}.
 */
@Component("times")
public class DisplayTimes {

    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'", Locale.ENGLISH).withZone(ZoneOffset.UTC);

    public static String of(Instant instant) {
        return instant == null ? "never" : TIME.format(instant);
    }

    public String format(Instant instant) {
        return of(instant);
    }
}
