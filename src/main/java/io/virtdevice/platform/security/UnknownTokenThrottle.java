package io.virtdevice.platform.security;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.stereotype.Component;

/**
 * Counts, per client address, bearer tokens that cost a database lookup and turned out unknown. Once an
 * address reaches {@code virtdevice.security.unknown-token-limit} within the window, tokens this instance
 * does not already know (cached as valid or as unknown) are refused with 429 without a lookup, so random
 * tokens cannot exhaust the connection pool; tokens already known keep working. Per instance, bounded memory.
 */
@Component
class UnknownTokenThrottle {

    private record Window(long startNanos, AtomicInteger misses) {}

    private final Cache<String, Window> windows;
    private final int limit;
    private final long windowNanos;

    UnknownTokenThrottle(SecuritySettings settings) {
        this.limit = settings.unknownTokenLimit();
        this.windowNanos = settings.unknownTokenWindow().toNanos();
        this.windows = Caffeine.newBuilder()
                .maximumSize(100_000)
                .expireAfterWrite(settings.unknownTokenWindow())
                .build();
    }

    boolean blocked(String address) {
        Window window = windows.getIfPresent(address);
        return window != null && window.misses().get() >= limit;
    }

    void recordUnknown(String address) {
        windows.get(address, a -> new Window(System.nanoTime(), new AtomicInteger())).misses().incrementAndGet();
    }

    /** Whole seconds until the address's window ends (at least 1). */
    long retryAfterSeconds(String address) {
        Window window = windows.getIfPresent(address);
        if (window == null) {
            return 1;
        }
        long left = window.startNanos() + windowNanos - System.nanoTime();
        return Math.max(1, Duration.ofNanos(left).toSeconds() + 1);
    }
}
