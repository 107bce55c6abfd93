package io.virtdevice.platform.jobs;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/** Stopping a pool of outbound attempts: let what runs finish within a bound, then interrupt it. */
public final class ExecutorShutdown {

    private ExecutorShutdown() {}

    /** Accepts no more work, waits up to {@code bound} for running tasks, then interrupts the rest. */
    public static void within(ExecutorService executor, Duration bound) {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(bound.toMillis(), TimeUnit.MILLISECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
