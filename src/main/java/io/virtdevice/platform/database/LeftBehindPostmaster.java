package io.virtdevice.platform.database;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The embedded PostgreSQL that a killed application (kill -9, OOM killer, a crash) left running on its data
 * directory. zonky starts the server with {@code pg_ctl}, so it is not a child of the JVM and outlives it;
 * the next start would then find {@code postmaster.pid} locked and give up. Before starting, the embedded
 * database calls {@link #stop}:
 *
 * <ul>
 *   <li>no {@code postmaster.pid}, or its process is gone: nothing to do (PostgreSQL removes a stale file
 *       itself);
 *   <li>its process is a {@code postgres} whose command line names this data directory ({@code -D}) and which
 *       started when the file says: a server of ours left behind. It is asked for a fast shutdown (SIGINT:
 *       sessions are ended, a checkpoint is written), and for an immediate one (SIGQUIT: recovery at the next
 *       start, like after a power loss) if that takes longer than the wait; never SIGKILL;
 *   <li>its process is something else (the pid was reused after a reboot or by the user namespace): the file is
 *       stale, PostgreSQL would refuse it ("Is another postmaster running?"), and it is removed.
 * </ul>
 * It is never adopted: its port and settings are those of the previous run, and nothing would stop it at exit.
 */
final class LeftBehindPostmaster {

    private LeftBehindPostmaster() {}

    /** What {@link #stop} found. */
    enum Outcome {
        NONE,
        STOPPED,
        STALE_FILE_REMOVED
    }

    static Outcome stop(Path dataDirectory, Duration wait, Consumer<String> log) throws IOException {
        Path pidFile = dataDirectory.resolve("postmaster.pid");
        List<String> lines;
        try {
            lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Outcome.NONE;
        }
        long pid;
        try {
            // a negative pid is a standalone backend (postgres --single): the same process
            pid = lines.isEmpty() ? 0 : Math.abs(Long.parseLong(lines.get(0).trim()));
        } catch (NumberFormatException e) {
            pid = 0;
        }
        Optional<ProcessHandle> process = pid > 0 ? ProcessHandle.of(pid) : Optional.empty();
        if (process.isEmpty() || !process.get().isAlive()) {
            return Outcome.NONE;
        }
        ProcessHandle postmaster = process.get();
        if (!isServerOn(postmaster, dataDirectory, startedAt(lines))) {
            log.accept("postmaster.pid in " + dataDirectory + " names process " + pid + ", which is not a PostgreSQL "
                    + "server on this directory (" + postmaster.info().command().orElse("?") + "); removing the "
                    + "stale file");
            Files.deleteIfExists(pidFile);
            return Outcome.STALE_FILE_REMOVED;
        }
        log.accept("a PostgreSQL server (pid " + pid + ") was left running on " + dataDirectory
                + " by a previous run that did not stop it (killed?); shutting it down");
        signal(pid, "INT");
        if (!await(postmaster, pidFile, wait)) {
            log.accept("PostgreSQL (pid " + pid + ") did not shut down within " + wait + "; immediate shutdown");
            signal(pid, "QUIT");
            if (!await(postmaster, pidFile, wait)) {
                throw new IOException("PostgreSQL (pid " + pid + ") left running on " + dataDirectory
                        + " did not stop; stop it and start again");
            }
        }
        return Outcome.STOPPED;
    }

    /** A {@code postgres} executable started with {@code -D dataDirectory}, at the time the pid file says. */
    static boolean isServerOn(ProcessHandle process, Path dataDirectory, Optional<Instant> startedAt) {
        ProcessHandle.Info info = process.info();
        String command = info.command().orElse("");
        String name = Path.of(command.isEmpty() ? "-" : command).getFileName().toString();
        if (!name.equals("postgres") && !name.equals("postgres.exe")) {
            return false;
        }
        String[] args = info.arguments().orElse(new String[0]);
        boolean onDirectory = false;
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals("-D") && sameDirectory(Path.of(args[i + 1]), dataDirectory)) {
                onDirectory = true;
            }
        }
        if (!onDirectory) {
            return false;
        }
        // the pid file is written a moment after the process starts; a reused pid started at another time
        return startedAt.isEmpty() || info.startInstant().isEmpty()
                || Duration.between(info.startInstant().get(), startedAt.get()).abs().compareTo(Duration.ofMinutes(1)) < 0;
    }

    private static boolean sameDirectory(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (IOException e) {
            return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
        }
    }

    /** Line 3 of postmaster.pid: the server's start time, in seconds since the epoch. */
    private static Optional<Instant> startedAt(List<String> lines) {
        try {
            return lines.size() > 2 ? Optional.of(Instant.ofEpochSecond(Long.parseLong(lines.get(2).trim())))
                    : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static void signal(long pid, String signal) throws IOException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true).start();
        try {
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IOException("could not signal PostgreSQL (pid " + pid + "): "
                        + new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while stopping PostgreSQL (pid " + pid + ")", e);
        }
    }

    /**
     * Waits until the process has exited or has removed its pid file (its last step; an exited server whose
     * parent does not reap it stays a zombie that looks alive).
     */
    private static boolean await(ProcessHandle process, Path pidFile, Duration wait) throws IOException {
        long end = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() - end < 0) {
            if (!process.isAlive() || !Files.exists(pidFile)) {
                return true;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while stopping PostgreSQL", e);
            }
        }
        return false;
    }
}
