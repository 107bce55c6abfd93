package io.virtdevice.limits;

import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * On shutdown, writes the units this instance took from its local copies of the buckets to the shared store
 * ({@link RateLimiter#flushLocal}), so the other instances count them. A lifecycle phase, not a destroy
 * method: it must run after the web server has stopped taking requests (phases {@code DEFAULT_PHASE - 1024}
 * and {@code - 2048}) and before the Redis connection factory, itself a lifecycle, shuts its client down.
 */
@Component
class LocalBucketsFlush implements SmartLifecycle {

    private final RateLimiter limiter;
    private volatile boolean running;

    LocalBucketsFlush(RateLimiter limiter) {
        this.limiter = limiter;
    }

    @Override
    public void start() {
        running = true;
    }

    @Override
    public void stop() {
        limiter.flushLocal();
        running = false;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return DEFAULT_PHASE - 4096;
    }
}
