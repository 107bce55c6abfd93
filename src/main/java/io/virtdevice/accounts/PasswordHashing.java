package io.virtdevice.accounts;

import io.virtdevice.platform.crypto.PasswordHasher;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.springframework.stereotype.Component;

/**
 * Argon2 with a bound on how many computations run at once (2 per core): sign-in, sign-up and reset are
 * reachable without authentication, and each computation costs 19 MiB and tens of milliseconds of CPU.
 * Callers run it outside any transaction, so no database connection waits on a hash.
 */
@Component
class PasswordHashing {

    private static final long MAX_WAIT_SECONDS = 10;

    private final PasswordHasher hasher;
    private final Semaphore permits = new Semaphore(2 * Runtime.getRuntime().availableProcessors(), true);

    PasswordHashing(PasswordHasher hasher) {
        this.hasher = hasher;
    }

    String hash(String password) {
        return bounded(() -> hasher.hash(password));
    }

    /** The candidate for a stored salt prefix, or for a decoy prefix when the email has no account. */
    String derive(String saltPrefix, String email, String password) {
        String prefix = saltPrefix != null ? saltPrefix : hasher.decoyPrefix(email);
        return bounded(() -> hasher.derive(prefix, password));
    }

    private String bounded(Supplier<String> work) {
        try {
            if (!permits.tryAcquire(MAX_WAIT_SECONDS, TimeUnit.SECONDS)) {
                throw new PasswordHashingBusy();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PasswordHashingBusy();
        }
        try {
            return work.get();
        } finally {
            permits.release();
        }
    }
}
