import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The noisy user of bench/fairness.sh: open-loop PUT /api/v1/devices/{id}/properties (each dimmer's brightness
 * counted up, so every accepted request is a change)
 * at a fixed RATE per second over the given devices, whatever the answers take (at most MAX_IN_FLIGHT at once;
 * a tick that finds them all busy is counted as skipped, never sent late). Unlike wrk, the attempt rate is the
 * one asked for.
 *
 * <p>With SEGMENT_SECONDS > 0 it sends only in the odd segments of the wall clock
 * ({@code (epochMillis / 1000 / SEGMENT_SECONDS) % 2 == 1}), the "noisy" segments that bench/EventsLoad.java
 * tells apart by the same clock (NOISE_SEGMENT_SECONDS), so "alone" and "next to the noisy user" alternate
 * within one run. With APP_PID it also reads the CPU time of that process and its descendants (the embedded
 * PostgreSQL) at each segment's measured start (after MARGIN_SECONDS) and end, and prints the CPU used per
 * second in the quiet and in the noisy segments.
 *
 * With START_FILE (environment) it creates its dimmers, then waits for that file before sending. It stops after SECONDS, or earlier once the file STOP_FILE (environment) exists.
 *
 * Usage: java NoisyLoad.java BASE_URL API_KEY RATE SECONDS DIMMER_IDS(comma-separated, or a count to create) [SEGMENT_SECONDS [MARGIN_SECONDS]]
 */
public class NoisyLoad {

    private static final Pattern LIMIT = Pattern.compile("\"limit\"\\s*:\\s*\"([a-z-]+)\"");
    private static final int MAX_IN_FLIGHT = Integer.parseInt(System.getenv().getOrDefault("MAX_IN_FLIGHT", "1024"));

    public static void main(String[] args) throws Exception {
        String base = args[0];
        String key = args[1];
        double rate = Double.parseDouble(args[2]);
        int seconds = Integer.parseInt(args[3]);
        String[] devices = args[4].matches("\\d+") ? null : args[4].split(",");
        int segment = args.length > 5 ? Integer.parseInt(args[5]) : 0;
        int margin = args.length > 6 ? Integer.parseInt(args[6]) : 0;
        String appPid = System.getenv("APP_PID");
        Path stopFile = System.getenv("STOP_FILE") == null ? null : Path.of(System.getenv("STOP_FILE"));
        HttpClient http = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(5))
                .version(HttpClient.Version.HTTP_1_1)
                .executor(Executors.newVirtualThreadPerTaskExecutor())
                .build();

        if (devices == null) {
            devices = dimmers(http, base, key, Integer.parseInt(args[4]));
        }
        if (System.getenv("START_FILE") != null) { // EventsLoad's setup (200 dimmers, webhook, stream) goes first
            while (!Files.exists(Path.of(System.getenv("START_FILE")))) {
                Thread.sleep(200);
            }
        }
        AtomicInteger inFlight = new AtomicInteger();
        AtomicLong sent = new AtomicLong();
        AtomicLong skipped = new AtomicLong();
        AtomicLong accepted = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        Map<String, AtomicLong> refused = new ConcurrentHashMap<>();
        Map<Integer, AtomicLong> other = new ConcurrentHashMap<>();
        int[] brightness = new int[devices.length];
        long[] cpu = new long[2]; // ticks in quiet, noisy measured segments
        long[] cpuNanos = new long[2];
        long[] machine = new long[2]; // busy ticks of the whole machine (load generators included), same segments
        long[] sentIn = new long[2];

        long interval = (long) (1_000_000_000L / rate);
        long startNanos = System.nanoTime();
        long stopNanos = startNanos + seconds * 1_000_000_000L;
        long onNanos = 0;
        long due = startNanos;
        int lastSegment = Integer.MIN_VALUE;
        boolean measuring = false;
        long measureFromTicks = 0;
        long measureFromMachine = 0;
        long measureFromNanos = 0;
        long measureFromSent = 0;
        for (long i = 0; due < stopNanos; i++) {
            if (stopFile != null && i % (long) Math.max(1, rate) == 0 && Files.exists(stopFile)) {
                break;
            }
            due += interval;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            long wall = System.currentTimeMillis();
            boolean on = segment <= 0 || (wall / 1000 / segment) % 2 == 1;
            if (segment > 0) {
                int current = (int) (wall / 1000 / segment);
                boolean pastMargin = (wall / 1000) % segment >= margin;
                if (current != lastSegment) {
                    if (measuring && appPid != null) { // the previous segment ends
                        int c = (lastSegment % 2 == 1) ? 1 : 0;
                        cpu[c] += ticks(appPid) - measureFromTicks;
                        machine[c] += machineTicks() - measureFromMachine;
                        cpuNanos[c] += System.nanoTime() - measureFromNanos;
                        sentIn[c] += sent.get() - measureFromSent;
                    }
                    measuring = false;
                    lastSegment = current;
                }
                if (!measuring && pastMargin && appPid != null) {
                    measuring = true;
                    measureFromTicks = ticks(appPid);
                    measureFromMachine = machineTicks();
                    measureFromNanos = System.nanoTime();
                    measureFromSent = sent.get();
                }
            }
            if (!on) {
                continue;
            }
            onNanos += interval;
            if (inFlight.get() >= MAX_IN_FLIGHT) {
                skipped.incrementAndGet();
                continue;
            }
            int d = (int) (i % devices.length);
            brightness[d] = brightness[d] % 100 + 1;
            inFlight.incrementAndGet();
            sent.incrementAndGet();
            http.sendAsync(HttpRequest.newBuilder(URI.create(base + "/api/v1/devices/" + devices[d] + "/properties"))
                                    .timeout(Duration.ofSeconds(30))
                                    .header("Authorization", "Bearer " + key)
                                    .header("Content-Type", "application/json")
                                    .PUT(HttpRequest.BodyPublishers.ofString("{\"brightness\":" + brightness[d] + "}")).build(),
                            HttpResponse.BodyHandlers.ofString())
                    .whenComplete((response, error) -> {
                        inFlight.decrementAndGet();
                        if (error != null) {
                            errors.incrementAndGet();
                        } else if (response.statusCode() == 200) {
                            accepted.incrementAndGet();
                        } else if (response.statusCode() == 429) {
                            Matcher m = LIMIT.matcher(response.body());
                            refused.computeIfAbsent(m.find() ? m.group(1) : "?", k -> new AtomicLong()).incrementAndGet();
                        } else {
                            other.computeIfAbsent(response.statusCode(), k -> new AtomicLong()).incrementAndGet();
                        }
                    });
        }
        long end = System.nanoTime() + 30_000_000_000L;
        while (inFlight.get() > 0 && System.nanoTime() < end) {
            Thread.sleep(50);
        }
        double onSeconds = onNanos / 1e9;
        long refusedAll = refused.values().stream().mapToLong(AtomicLong::get).sum();
        System.out.printf("noisy attempts=%d in %.0f s of noise (%.1f/s; asked %.1f/s) over %d devices: accepted=%d "
                        + "(%.1f/s) refused=%d %s other=%s errors=%d skipped(all %d in flight)=%d%n",
                sent.get(), onSeconds, sent.get() / onSeconds, rate, devices.length, accepted.get(),
                accepted.get() / onSeconds, refusedAll, refused, other, errors.get(), MAX_IN_FLIGHT, skipped.get());
        if (appPid != null && segment > 0) {
            long hz = 100; // USER_HZ on Linux
            double quiet = cpu[0] / (double) hz / (cpuNanos[0] / 1e9);
            double noisy = cpu[1] / (double) hz / (cpuNanos[1] / 1e9);
            double perAttempt = sentIn[1] == 0 ? Double.NaN
                    : (cpu[1] / (double) hz - quiet * cpuNanos[1] / 1e9) * 1000 / sentIn[1];
            System.out.printf("app+postgres cpu: quiet segments %.2f cores, noisy segments %.2f cores "
                            + "(%.2f ms of cpu per noisy attempt)%n", quiet, noisy, perAttempt);
            System.out.printf("whole machine (load generators and fake gateway included): quiet segments %.2f cores, "
                    + "noisy segments %.2f cores busy of %d%n", machine[0] / (double) hz / (cpuNanos[0] / 1e9),
                    machine[1] / (double) hz / (cpuNanos[1] / 1e9), Runtime.getRuntime().availableProcessors());
        }
        System.exit(0);
    }

    /** Creates {@code count} dimmers of the user's and returns their ids. */
    static String[] dimmers(HttpClient http, String base, String key, int count) throws Exception {
        String[] ids = new String[count];
        Pattern id = Pattern.compile("\"id\"\\s*:\\s*\"([0-9a-f-]{36})\"");
        for (int i = 0; i < count; i++) {
            HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/devices"))
                    .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"noisy-" + i + "\",\"type\":\"dimmer\"}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            Matcher m = id.matcher(created.body());
            if (created.statusCode() != 201 || !m.find()) {
                throw new IllegalStateException("device creation failed: " + created.statusCode() + " " + created.body());
            }
            ids[i] = m.group(1);
        }
        return ids;
    }

    /** Busy ticks of all cores from /proc/stat (user, nice, system, irq, softirq, steal). */
    static long machineTicks() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split(" +");
            return Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3]) + Long.parseLong(f[6])
                    + Long.parseLong(f[7]) + Long.parseLong(f[8]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** utime + stime (+ reaped children's) of the process and its live descendants, in clock ticks. */
    static long ticks(String pid) {
        List<Long> pids = new ArrayList<>();
        ProcessHandle.of(Long.parseLong(pid)).ifPresent(p -> {
            pids.add(p.pid());
            p.descendants().forEach(d -> pids.add(d.pid()));
        });
        long total = 0;
        for (long p : pids) {
            try {
                String stat = Files.readString(Path.of("/proc/" + p + "/stat"));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                // fields 14-17 (utime, stime, cutime, cstime) are 11-14 after the state field
                total += Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
            } catch (IOException | RuntimeException e) {
                // gone meanwhile
            }
        }
        return total;
    }
}
