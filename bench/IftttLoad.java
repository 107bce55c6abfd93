import com.sun.net.httpserver.HttpServer;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Java side of bench/ifttt.sh.
 *
 * <pre>
 * java IftttLoad.java setup BASE API_KEY IFTTT_TOKEN SWITCHES EVENTS DIMMERS
 *     creates SWITCHES switches and DIMMERS dimmers, makes EVENTS real power changes spread over the switches,
 *     registers one device_turned_on trigger identity per switch ("poll-N", by polling it), and prints
 *     "switch ID IFTTT_ID" and "dimmer ID IFTTT_ID" lines
 * java IftttLoad.java realtime BASE API_KEY IFTTT_TOKEN RT_PORT SERVICE_KEY RATE SECONDS WARMUP DEVICE_FILE
 *     stands in for IFTTT's realtime endpoint on RT_PORT (checking the service key and the body), registers a
 *     property_changed identity ("rt-N") per switch, then makes RATE power changes per second (open loop) for
 *     WARMUP + SECONDS and prints, for the measured ones, the time from sending the change to the first
 *     realtime notification naming one of that switch's identities that arrived after the change committed
 * </pre>
 */
public class IftttLoad {

    private static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*\"([0-9a-f-]{36})\"");
    private static final Pattern IFTTT_ID = Pattern.compile("\"iftttDeviceId\"\\s*:\\s*\"([^\"]+)\"");
    private static final Pattern IDENTITY = Pattern.compile("\"trigger_identity\"\\s*:\\s*\"(?:poll|rt)-(\\d+)\"");

    static HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .version(HttpClient.Version.HTTP_1_1).executor(Executors.newFixedThreadPool(8)).build();

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "setup" -> setup(args[1], args[2], args[3], Integer.parseInt(args[4]), Integer.parseInt(args[5]),
                    Integer.parseInt(args[6]));
            case "realtime" -> realtime(args[1], args[2], args[3], Integer.parseInt(args[4]), args[5],
                    Integer.parseInt(args[6]), Integer.parseInt(args[7]), Integer.parseInt(args[8]), args[9]);
            default -> throw new IllegalArgumentException(args[0]);
        }
        System.exit(0);
    }

    static void setup(String base, String key, String token, int switches, int events, int dimmers) throws Exception {
        List<String[]> made = create(base, key, "switch", switches);
        List<String[]> dims = create(base, key, "dimmer", dimmers);
        AtomicInteger next = new AtomicInteger();
        boolean[] power = new boolean[switches];
        runParallel(16, () -> {
            int i;
            while ((i = next.getAndIncrement()) < events) {
                int d = i % switches;
                boolean on;
                synchronized (power) {
                    power[d] = !power[d];
                    on = power[d];
                }
                expect(200, send(request(base + "/api/v1/devices/" + made.get(d)[0] + "/properties", key)
                        .PUT(HttpRequest.BodyPublishers.ofString("{\"power\":" + on + "}"))));
            }
        });
        for (int i = 0; i < switches; i++) {
            expect(200, send(request(base + "/ifttt/v1/triggers/device_turned_on", token)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"trigger_identity\":\"poll-" + i
                            + "\",\"triggerFields\":{\"device\":\"" + made.get(i)[1] + "\"}}"))));
        }
        PrintStream out = System.out;
        made.forEach(d -> out.println("switch " + d[0] + " " + d[1]));
        dims.forEach(d -> out.println("dimmer " + d[0] + " " + d[1]));
    }

    static List<String[]> create(String base, String key, String type, int count) throws Exception {
        List<String[]> made = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicInteger next = new AtomicInteger();
        runParallel(8, () -> {
            int i;
            while ((i = next.getAndIncrement()) < count) {
                HttpResponse<String> r = send(request(base + "/api/v1/devices", key).POST(
                        HttpRequest.BodyPublishers.ofString("{\"name\":\"" + type + "-" + i + "\",\"type\":\"" + type + "\"}")));
                expect(201, r);
                Matcher id = ID.matcher(r.body());
                Matcher ifttt = IFTTT_ID.matcher(r.body());
                id.find();
                ifttt.find();
                made.add(new String[] {id.group(1), ifttt.group(1), type + "-" + i});
            }
        });
        made.sort((a, b) -> Integer.compare(Integer.parseInt(a[2].substring(type.length() + 1)),
                Integer.parseInt(b[2].substring(type.length() + 1))));
        return made;
    }

    /** One change: when it was sent and committed (-1 until then), and when it was notified (-1 until then). */
    static final class Change {
        final long sent;
        final boolean measured;
        volatile long committed = -1;
        volatile long notified = -1;

        Change(long sent, boolean measured) {
            this.sent = sent;
            this.measured = measured;
        }
    }

    static void realtime(String base, String key, String token, int port, String serviceKey, int rate, int seconds,
            int warmup, String deviceFile) throws Exception {
        List<String[]> switches = java.nio.file.Files.readAllLines(java.nio.file.Path.of(deviceFile)).stream()
                .filter(l -> l.startsWith("switch ")).map(l -> l.split(" ")).toList();
        int n = switches.size();
        List<ConcurrentLinkedQueue<Change>> pending = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            pending.add(new ConcurrentLinkedQueue<>());
        }
        AtomicLong refused = new AtomicLong();
        AtomicLong requests = new AtomicLong();
        AtomicLong identities = new AtomicLong();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 200);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.createContext("/v1/notifications", exchange -> {
            long now = System.nanoTime();
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            boolean ok = serviceKey.equals(exchange.getRequestHeaders().getFirst("IFTTT-Service-Key"))
                    && body.startsWith("{\"data\":[");
            if (!ok) {
                refused.incrementAndGet();
            } else {
                requests.incrementAndGet();
                Matcher m = IDENTITY.matcher(body);
                while (m.find()) {
                    identities.incrementAndGet();
                    int d = Integer.parseInt(m.group(1));
                    if (d < n) {
                        for (Change c : pending.get(d)) {
                            if (c.committed >= 0 && c.committed <= now && c.notified < 0) {
                                c.notified = now;
                                pending.get(d).remove(c);
                            }
                        }
                    }
                }
            }
            byte[] out = "{}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(ok ? 200 : 401, out.length);
            exchange.getResponseBody().write(out);
            exchange.close();
        });
        server.start();
        for (int i = 0; i < n; i++) {
            expect(200, send(request(base + "/ifttt/v1/triggers/property_changed", token)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"trigger_identity\":\"rt-" + i
                            + "\",\"triggerFields\":{\"device\":\"" + switches.get(i)[2] + "\"}}"))));
        }
        boolean[] power = new boolean[n];
        List<Change> all = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicLong errors = new AtomicLong();
        var pool = Executors.newFixedThreadPool(64);
        long start = System.nanoTime();
        long total = (long) rate * (warmup + seconds);
        for (long k = 0; k < total; k++) {
            long due = start + k * 1_000_000_000L / rate;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            int d = (int) (k % n);
            power[d] = !power[d];
            boolean on = power[d];
            Change change = new Change(System.nanoTime(), k >= (long) rate * warmup);
            all.add(change);
            pending.get(d).add(change);
            pool.execute(() -> {
                try {
                    HttpResponse<String> r = send(request(base + "/api/v1/devices/" + switches.get(d)[1] + "/properties", key)
                            .PUT(HttpRequest.BodyPublishers.ofString("{\"power\":" + on + "}")));
                    if (r.statusCode() != 200) {
                        errors.incrementAndGet();
                        pending.get(d).remove(change);
                    } else {
                        change.committed = System.nanoTime();
                    }
                } catch (Exception e) {
                    errors.incrementAndGet();
                    pending.get(d).remove(change);
                }
            });
        }
        pool.shutdown();
        pool.awaitTermination(60, TimeUnit.SECONDS);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < end && all.stream().anyMatch(c -> c.measured && c.committed >= 0 && c.notified < 0)) {
            Thread.sleep(100);
        }
        long[] latencies = all.stream().filter(c -> c.measured && c.notified >= 0)
                .mapToLong(c -> (c.notified - c.sent) / 1_000_000).sorted().toArray();
        long lost = all.stream().filter(c -> c.measured && c.committed >= 0 && c.notified < 0).count();
        long measured = all.stream().filter(c -> c.measured).count();
        System.out.printf("realtime rate=%d/s changes=%d notified=%d lost=%d errors=%d p50_ms=%d p90_ms=%d p99_ms=%d max_ms=%d"
                        + " notification_requests=%d identities_notified=%d refused=%d%n",
                rate, measured, latencies.length, lost, errors.get(), pct(latencies, 50), pct(latencies, 90),
                pct(latencies, 99), latencies.length == 0 ? -1 : latencies[latencies.length - 1], requests.get(),
                identities.get(), refused.get());
        server.stop(0);
    }

    static long pct(long[] sorted, int p) {
        if (sorted.length == 0) {
            return -1;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }

    interface Work {
        void run() throws Exception;
    }

    static void runParallel(int threads, Work work) throws Exception {
        var pool = Executors.newFixedThreadPool(threads);
        List<java.util.concurrent.Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            futures.add(pool.submit(() -> {
                work.run();
                return null;
            }));
        }
        for (var f : futures) {
            f.get();
        }
        pool.shutdown();
    }

    static HttpRequest.Builder request(String url, String bearer) {
        return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + bearer).header("Content-Type", "application/json")
                .header("Accept", "application/json");
    }

    static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    static void expect(int status, HttpResponse<String> response) {
        if (response.statusCode() != status) {
            throw new IllegalStateException(response.uri() + " answered " + response.statusCode() + ": " + response.body());
        }
    }
}
