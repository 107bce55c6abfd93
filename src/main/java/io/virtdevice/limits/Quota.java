package io.virtdevice.limits;

import java.time.Duration;

/**
 * {@code limit} units per {@code window}, refilled continuously (a token bucket of {@code limit} tokens that
 * refills completely in {@code window}).
 */
public record Quota(long limit, Duration window) {

    public Quota {
        if (limit < 1) {
            throw new IllegalArgumentException("a rate limit needs a limit of at least 1, not " + limit);
        }
        if (window == null || window.toSeconds() < 1) {
            throw new IllegalArgumentException("a rate limit needs a window of at least 1s, not " + window);
        }
    }

    /** "600 per minute", "10 per 5 minutes", … */
    public String text() {
        long s = window.toSeconds();
        String per = s % 86_400 == 0 ? unit(s / 86_400, "day") : s % 3600 == 0 ? unit(s / 3600, "hour")
                : s % 60 == 0 ? unit(s / 60, "minute") : unit(s, "second");
        return limit + " per " + per;
    }

    /**
     * {@code wait} plus a random part of one unit's interval (window / limit): what a fair share holds a
     * refused item for, so that many items held at once do not all wake at the same moment.
     */
    public Duration jittered(Duration wait) {
        long unitMs = Math.max(1, window.toMillis() / limit);
        return wait.plusMillis(java.util.concurrent.ThreadLocalRandom.current().nextLong(unitMs + 1));
    }

    private static String unit(long n, String unit) {
        return n == 1 ? unit : n + " " + unit + "s";
    }
}
