package io.virtdevice.platform.jobs;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * The in-process side of a leased outbox (webhook first attempts, Alexa events): rows are staged leased to
 * this process ({@link LeaseOwner}) inside the dispatch transaction, and their attempts run here on virtual
 * threads as soon as it commits, with no poll between a change and its request. Whatever this process does
 * not attempt (it is stopping, or the work is over the start-up limit) keeps its lease in the database, and a
 * periodic sweep (every instance runs one; this one's on a daemon thread) picks it up once the lease runs out
 * or its process is gone. What an attempt does, and how a sweep recovers, is the owner's.
 *
 * <p>Work staged before {@link #start} (the {@code events.relay} task runs as soon as db-scheduler starts,
 * before the application is ready) waits in memory, up to a limit, and runs when it starts.
 */
public final class LeasedAttempts {

    private final String threadPrefix;
    private final String sweepThread;
    private final int beforeStartLimit;
    private final List<Runnable> beforeStart = new ArrayList<>(); // guarded by this
    private boolean started; // guarded by this
    private volatile ExecutorService executor;
    private volatile boolean running;
    private ScheduledExecutorService sweeper;

    /**
     * @param threadPrefix the attempts' (virtual) thread names, numbered from 0
     * @param sweepThread the sweep's thread name
     * @param beforeStartLimit attempts kept in memory before {@link #start}; beyond it the overflow action runs
     */
    public LeasedAttempts(String threadPrefix, String sweepThread, int beforeStartLimit) {
        this.threadPrefix = threadPrefix;
        this.sweepThread = sweepThread;
        this.beforeStartLimit = beforeStartLimit;
    }

    /**
     * Submits the attempt of each of {@code staged} once the current transaction has committed; nothing if it
     * rolls back.
     *
     * @param overflow what runs at start instead of an attempt beyond the start-up limit, or null (nothing)
     */
    public <T> void afterCommit(List<T> staged, Function<T, Runnable> attempt, Function<T, Runnable> overflow) {
        TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
            @Override
            public void afterCommit() {
                staged.forEach(item -> submit(attempt.apply(item), overflow == null ? null : overflow.apply(item)));
            }
        });
    }

    /**
     * Runs {@code attempt} now on its own virtual thread. Before {@link #start} it waits in memory, or, once
     * {@code beforeStartLimit} are waiting, {@code overflow} runs at start instead (null: nothing; the lease
     * hands the work over). After {@link #stop} nothing runs: the lease hands it over.
     */
    public void submit(Runnable attempt, Runnable overflow) {
        ExecutorService current = executor;
        if (current == null) {
            synchronized (this) {
                current = executor;
                if (current == null) {
                    if (!started) {
                        if (beforeStart.size() < beforeStartLimit) {
                            beforeStart.add(attempt);
                        } else if (overflow != null) {
                            beforeStart.add(overflow);
                        }
                    }
                    return;
                }
            }
        }
        try {
            current.execute(attempt);
        } catch (RejectedExecutionException e) {
            // stopping: the lease hands it over
        }
    }

    /**
     * Starts the attempts' executor, runs what waited for it, then {@code sweep} at once and every
     * {@code every} after the previous run ended; returns how many waited.
     */
    public int start(Runnable sweep, Duration every) {
        ExecutorService pool = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name(threadPrefix, 0).factory());
        running = true;
        List<Runnable> waiting;
        synchronized (this) {
            executor = pool;
            started = true;
            waiting = List.copyOf(beforeStart);
            beforeStart.clear();
        }
        waiting.forEach(pool::execute);
        sweeper = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name(sweepThread).factory());
        sweeper.scheduleWithFixedDelay(sweep, 0, every.toMillis(), TimeUnit.MILLISECONDS);
        return waiting.size();
    }

    /** Stops the sweep, takes no more attempts and lets those in flight finish within {@code drainWithin}. */
    public void stop(Duration drainWithin) {
        running = false;
        if (sweeper != null) {
            sweeper.shutdownNow();
        }
        ExecutorService current;
        synchronized (this) {
            current = executor;
            executor = null;
        }
        if (current != null) {
            ExecutorShutdown.within(current, drainWithin);
        }
    }

    /** Between {@link #start} and {@link #stop}. */
    public boolean running() {
        return running;
    }
}
