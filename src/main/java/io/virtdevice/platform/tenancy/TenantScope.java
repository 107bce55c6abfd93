package io.virtdevice.platform.tenancy;

import java.util.Optional;
import java.util.function.Supplier;

/**
 * Binds a {@link TenantContext} to the current thread for the duration of a call. Every transaction that
 * starts inside the call carries the context into PostgreSQL (see {@link TenantScopedTransactionManager});
 * a transaction outside any scope carries none and row-level security shows it no tenant rows.
 */
public final class TenantScope {

    private static final ThreadLocal<TenantContext> CURRENT = new ThreadLocal<>();

    private TenantScope() {}

    public static Optional<TenantContext> current() {
        return Optional.ofNullable(CURRENT.get());
    }

    public static <T> T call(TenantContext context, Supplier<T> work) {
        TenantContext previous = CURRENT.get();
        CURRENT.set(context);
        try {
            return work.get();
        } finally {
            restore(previous);
        }
    }

    public static void run(TenantContext context, Runnable work) {
        call(context, () -> {
            work.run();
            return null;
        });
    }

    /** Runs work with no tenant context at all, even if the caller has one. */
    public static <T> T callWithoutContext(Supplier<T> work) {
        TenantContext previous = CURRENT.get();
        CURRENT.remove();
        try {
            return work.get();
        } finally {
            restore(previous);
        }
    }

    private static void restore(TenantContext previous) {
        if (previous == null) {
            CURRENT.remove();
        } else {
            CURRENT.set(previous);
        }
    }
}
