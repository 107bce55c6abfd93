package io.virtdevice.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The load of the crash tests: {@code workers} virtual threads making {@code changes} changes in all through
 * the REST API of an application process that the test kills with -9 midway and starts again. The test waits
 * for {@link #awaitSucceeded} changes, {@link #pause}s the workers, kills the process, starts a new one and
 * {@link #resume}s the workers against it; {@link #join} waits for the rest. A change that gets no 200 (it was
 * in flight when the process died: committed or not) counts as failed.
 */
public final class ChangeLoad {

    /** Worker {@code worker}'s {@code n}-th change (from 1) through {@code api}; returns the HTTP status. */
    @FunctionalInterface
    public interface Change {
        int make(Api api, int worker, int n);
    }

    private final int changes;
    private final Change change;
    private final AtomicInteger attempted = new AtomicInteger();
    private final AtomicInteger succeeded = new AtomicInteger();
    private final AtomicInteger failed = new AtomicInteger();
    private final AtomicBoolean paused = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();
    private volatile Api target;

    private ChangeLoad(Api target, int changes, Change change) {
        this.target = target;
        this.changes = changes;
        this.change = change;
    }

    /** Starts the workers against {@code api}. */
    public static ChangeLoad start(Api api, int workers, int changes, Change change) {
        ChangeLoad load = new ChangeLoad(api, changes, change);
        for (int w = 0; w < workers; w++) {
            int worker = w;
            load.threads.add(Thread.ofVirtual().start(() -> load.work(worker)));
        }
        return load;
    }

    private void work(int worker) {
        int n = 0;
        while (attempted.get() < changes) {
            if (paused.get()) {
                sleep(20);
                continue;
            }
            if (attempted.incrementAndGet() > changes) {
                break;
            }
            n++;
            try {
                if (change.make(target, worker, n) == 200) {
                    succeeded.incrementAndGet();
                } else {
                    failed.incrementAndGet();
                }
            } catch (RuntimeException e) {
                failed.incrementAndGet(); // in flight when the process died: committed or not
            }
        }
    }

    /** Waits until {@code count} changes have succeeded. */
    public void awaitSucceeded(int count) {
        while (succeeded.get() < count) {
            sleep(5);
        }
    }

    /** The workers stop making changes (the one in flight finishes or fails) until {@link #resume}. */
    public void pause() {
        paused.set(true);
    }

    /** The workers go on, against {@code api} (the restarted process). */
    public void resume(Api api) {
        target = api;
        paused.set(false);
    }

    /** Waits until every change has been made. */
    public void join() throws InterruptedException {
        for (Thread thread : threads) {
            thread.join();
        }
    }

    public int succeeded() {
        return succeeded.get();
    }

    public int failed() {
        return failed.get();
    }

    /** The crash tests' wait between looks (never an assertion on time). */
    public static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
