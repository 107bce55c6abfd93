import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * A stand-in for the noisy user that has nothing to do with VirtDevice: in every other SEGMENT-second slice of the
 * wall clock (the odd ones, as bench/NoisyLoad.java) it keeps CORES of the machine busy with pure computation, in
 * bursts of random length (exponential, mean 0.5 ms) and pauses sized so that each of its ceil(CORES) threads is busy
 * CORES / threads of the time. bench/fairness.sh runs it with NOISY_KIND=cpu: the normal user's ratio then says what
 * that much CPU taken by anybody costs on this machine, with no rate limiter, relay, connection pool or gateway share
 * involved.
 *
 * <pre>java bench/CpuHog.java CORES SEGMENT SECONDS</pre>
 * It stops after SECONDS, or earlier once the file STOP_FILE (environment) exists.
 */
public class CpuHog {

    static volatile long sink;

    public static void main(String[] args) throws Exception {
        double cores = Double.parseDouble(args[0]);
        int segment = Integer.parseInt(args[1]);
        long seconds = Long.parseLong(args[2]);
        String stopName = System.getenv("STOP_FILE");
        java.io.File stopFile = stopName == null ? null : new java.io.File(stopName);
        int threads = (int) Math.ceil(cores);
        double duty = cores / threads;
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        long[] busyNanos = new long[threads];
        Thread[] all = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            int index = t;
            all[t] = Thread.ofPlatform().start(() -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                long x = index + 1;
                while (System.nanoTime() < end && (stopFile == null || !stopFile.exists())) {
                    boolean on = (System.currentTimeMillis() / 1000 / segment) % 2 == 1;
                    if (!on) {
                        LockSupport.parkNanos(10_000_000);
                        continue;
                    }
                    long burst = (long) (-Math.log(1 - random.nextDouble()) * 500_000);
                    long from = System.nanoTime();
                    while (System.nanoTime() - from < burst) {
                        for (int i = 0; i < 1000; i++) {
                            x = x * 6364136223846793005L + 1442695040888963407L;
                        }
                    }
                    long busy = System.nanoTime() - from;
                    busyNanos[index] += busy;
                    LockSupport.parkNanos((long) (busy * (1 - duty) / duty));
                }
                sink = x;
            });
        }
        for (Thread thread : all) {
            thread.join();
        }
        long busy = 0;
        for (long b : busyNanos) {
            busy += b;
        }
        System.out.printf("cpu hog: %.1f s of computation on %d threads (asked %.2f cores in the noisy slices)%n",
                busy / 1e9, threads, cores);
    }
}
