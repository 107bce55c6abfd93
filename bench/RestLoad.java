import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Closed-loop load for the REST property update: N workers, each on its own device (so rows never
 * contend, like pgbench's per-client row), each sending PUT /api/v1/devices/{id}/properties with the
 * power flipped every time, so every request is a real change (transaction, activity entry, change event).
 *
 * Usage: java RestLoad.java BASE_URL API_KEY CONCURRENCY SECONDS WARMUP_SECONDS
 * Prints one line: "rest c=N tps=… p50_ms=… p99_ms=… errors=…".
 * With a sixth argument "devices" it only makes sure CONCURRENCY switches exist and prints their ids.
 */
public class RestLoad {

    private static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*\"([0-9a-f-]{36})\"");

    public static void main(String[] args) throws Exception {
        String base = args[0];
        String key = args[1];
        int concurrency = Integer.parseInt(args[2]);
        int seconds = Integer.parseInt(args[3]);
        int warmup = Integer.parseInt(args[4]);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).version(HttpClient.Version.HTTP_1_1).build();

        List<String> devices = ensureDevices(http, base, key, concurrency);
        if (args.length > 5 && args[5].equals("devices")) {
            devices.forEach(System.out::println);
            return;
        }
        run(http, base, key, devices, concurrency, warmup, false);
        run(http, base, key, devices, concurrency, seconds, true);
    }

    static List<String> ensureDevices(HttpClient http, String base, String key, int count) throws Exception {
        List<String> ids = new ArrayList<>();
        HttpResponse<String> list = http.send(request(base + "/api/v1/devices?limit=100&type=switch", key).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        Matcher m = ID.matcher(list.body());
        while (m.find()) {
            ids.add(m.group(1));
        }
        ids = new ArrayList<>(ids.stream().distinct().toList());
        while (ids.size() < count) {
            String body = "{\"name\":\"bench-" + System.nanoTime() + "\",\"type\":\"switch\"}";
            HttpResponse<String> created = http.send(request(base + "/api/v1/devices", key)
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            if (created.statusCode() != 201) {
                throw new IllegalStateException("device creation failed: " + created.statusCode() + " " + created.body());
            }
            Matcher c = ID.matcher(created.body());
            c.find();
            ids.add(c.group(1));
        }
        return ids.subList(0, count);
    }

    static void run(HttpClient http, String base, String key, List<String> devices, int concurrency, int seconds,
            boolean report) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        long[][] latencies = new long[concurrency][];
        int[] counts = new int[concurrency];
        AtomicLong errors = new AtomicLong();
        CountDownLatch done = new CountDownLatch(concurrency);
        long started = System.nanoTime();
        for (int w = 0; w < concurrency; w++) {
            int worker = w;
            Thread.ofPlatform().start(() -> {
                long[] mine = new long[1 << 16];
                int n = 0;
                boolean on = false;
                String uri = base + "/api/v1/devices/" + devices.get(worker) + "/properties";
                try {
                    while (System.nanoTime() < end) {
                        on = !on;
                        HttpRequest req = request(uri, key)
                                .PUT(HttpRequest.BodyPublishers.ofString("{\"power\":" + on + "}")).build();
                        long t0 = System.nanoTime();
                        HttpResponse<Void> res = http.send(req, HttpResponse.BodyHandlers.discarding());
                        long took = System.nanoTime() - t0;
                        if (res.statusCode() != 200) {
                            errors.incrementAndGet();
                            continue;
                        }
                        if (n == mine.length) {
                            mine = Arrays.copyOf(mine, n * 2);
                        }
                        mine[n++] = took;
                    }
                } catch (Exception e) {
                    errors.incrementAndGet();
                } finally {
                    latencies[worker] = mine;
                    counts[worker] = n;
                    done.countDown();
                }
            });
        }
        done.await();
        double elapsed = (System.nanoTime() - started) / 1e9;
        if (!report) {
            return;
        }
        int total = Arrays.stream(counts).sum();
        long[] all = new long[total];
        int pos = 0;
        for (int w = 0; w < concurrency; w++) {
            System.arraycopy(latencies[w], 0, all, pos, counts[w]);
            pos += counts[w];
        }
        Arrays.sort(all);
        System.out.printf("rest c=%d tps=%.0f p50_ms=%.2f p99_ms=%.2f requests=%d errors=%d%n", concurrency,
                total / elapsed, pct(all, 0.50), pct(all, 0.99), total, errors.get());
    }

    static double pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)] / 1e6;
    }

    static HttpRequest.Builder request(String uri, String key) {
        return HttpRequest.newBuilder(URI.create(uri))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json");
    }
}
