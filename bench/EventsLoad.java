import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Open-loop load for change delivery: RATE property changes per second through the REST API (spread over
 * DEVICES dimmers; every request really changes the brightness), while a local receiver takes the webhook
 * (verifying every signature) and one SSE client holds the user's live stream. Per change it records when
 * the request was sent and when the webhook and the SSE event arrived, and prints the latency percentiles
 * of the measured period (after the warm-up).
 *
 * <p>With {@code ALEXA_GATEWAY_PORT} (and {@code ALEXA_TOKEN}) in the environment it also plays Alexa's Event
 * Gateway on that port ({@code /na/v3/events}): it checks the bearer token, answers 202 and records when each
 * change's ChangeReport arrived, next to its webhook, in the same run. A change whose report was coalesced
 * into a later one (only the latest state of an endpoint is sent) is counted, not timed.
 *
 * Usage: java EventsLoad.java BASE_URL API_KEY RATE SECONDS WARMUP_SECONDS [DEVICES [PRE_SECONDS PRE_RATE]]
 * PRE_SECONDS at PRE_RATE come first (JIT warm-up of the server and of this JVM, which is also the receiver),
 * then the WARMUP_SECONDS ramp to RATE, then the measured SECONDS.
 *
 * <p>With {@code NOISE_SEGMENT_SECONDS} (and {@code NOISE_MARGIN_SECONDS}) in the environment, the measured
 * changes are also reported apart by the wall-clock segment they were sent in: {@code [alone]} for even
 * segments ({@code (epochMillis / 1000 / NOISE_SEGMENT_SECONDS) % 2 == 0}), {@code [noisy]} for odd ones, when
 * bench/NoisyLoad.java sends (the same clock); changes sent within the first NOISE_MARGIN_SECONDS of a segment
 * (the switch-over) are in neither. With {@code READY_FILE} it writes that file when it starts sending.
 */
public class EventsLoad {

    private static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*\"([0-9a-f-]{36})\"");
    private static final Pattern DEVICE = Pattern.compile("\"device\":\\{\"id\":\"([0-9a-f-]{36})\"");
    private static final Pattern NEW_VALUE = Pattern.compile("\"new\":(\\d+)");
    private static final Pattern SECRET = Pattern.compile("\"secret\"\\s*:\\s*\"(whsec_[^\"]+)\"");

    /** One change: when it was sent, whether it counts, and when it arrived where. */
    static final class Change {
        final long sent;
        final boolean measured;
        /** With NOISE_SEGMENT_SECONDS: 0 sent in a quiet segment, 1 in a noisy one, -1 within a segment's margin. */
        int segment = -1;
        volatile long committed;
        volatile long webhook;
        volatile long sse;
        volatile long alexa;

        Change(long sent, boolean measured) {
            this.sent = sent;
            this.measured = measured;
        }
    }

    static final Map<String, Change> CHANGES = new ConcurrentHashMap<>();
    static final AtomicLong BAD_SIGNATURES = new AtomicLong();
    static final AtomicLong DUPLICATES = new AtomicLong();
    static final AtomicLong ERRORS = new AtomicLong();
    static final AtomicLong ALEXA_BAD_TOKENS = new AtomicLong();
    static final AtomicLong ALEXA_REPORTS = new AtomicLong();
    static final Map<String, String> DEVICE_OF_ENDPOINT = new ConcurrentHashMap<>();
    private static final Pattern ENDPOINT_ID = Pattern.compile("\"endpointId\":\"([A-Za-z0-9_]+)\"");
    private static final Pattern ALEXA_ENDPOINT = Pattern.compile("\"alexaEndpointId\"\\s*:\\s*\"([A-Za-z0-9_]+)\"");
    private static final Pattern BRIGHTNESS = Pattern.compile("\"name\":\"brightness\",\"value\":(\\d+)");

    public static void main(String[] args) {
        try {
            run(args);
        } catch (Exception e) {
            // the receivers' threads would keep the JVM (and the calling script) waiting
            e.printStackTrace();
            System.exit(1);
        }
    }

    static void run(String[] args) throws Exception {
        String base = args[0];
        String key = args[1];
        int rate = Integer.parseInt(args[2]);
        int seconds = Integer.parseInt(args[3]);
        int warmup = Integer.parseInt(args[4]);
        int deviceCount = args.length > 5 ? Integer.parseInt(args[5]) : 200;
        int preSeconds = args.length > 7 ? Integer.parseInt(args[6]) : 0;
        int preRate = args.length > 7 ? Integer.parseInt(args[7]) : rate;
        HttpClient http = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(5))
                .version(HttpClient.Version.HTTP_1_1)
                .executor(Executors.newVirtualThreadPerTaskExecutor())
                .build();

        byte[][] secret = new byte[1][];
        HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 1000);
        receiver.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        receiver.createContext("/hook", exchange -> {
            long now = System.nanoTime();
            byte[] body = exchange.getRequestBody().readAllBytes();
            String msgId = exchange.getRequestHeaders().getFirst("webhook-id");
            String ts = exchange.getRequestHeaders().getFirst("webhook-timestamp");
            String sig = exchange.getRequestHeaders().getFirst("webhook-signature");
            if (secret[0] == null || sig == null || !sig.equals(sign(secret[0], msgId, ts, body))) {
                BAD_SIGNATURES.incrementAndGet();
            }
            Change change = find(new String(body, StandardCharsets.UTF_8));
            if (change != null) {
                if (change.webhook != 0) {
                    DUPLICATES.incrementAndGet();
                } else {
                    change.webhook = now;
                }
            }
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        receiver.start();

        String alexaPort = System.getenv("ALEXA_GATEWAY_PORT");
        String alexaToken = System.getenv("ALEXA_TOKEN");
        HttpServer gateway = null;
        if (alexaPort != null && !alexaPort.isBlank()) {
            gateway = HttpServer.create(new InetSocketAddress("127.0.0.1", Integer.parseInt(alexaPort)), 1000);
            gateway.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            gateway.createContext("/na/v3/events", exchange -> {
                long now = System.nanoTime();
                String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                if (!("Bearer " + alexaToken).equals(exchange.getRequestHeaders().getFirst("Authorization"))
                        || !body.contains("\"token\":\"" + alexaToken + "\"")) {
                    ALEXA_BAD_TOKENS.incrementAndGet();
                }
                if (body.contains("\"name\":\"ChangeReport\"")) {
                    ALEXA_REPORTS.incrementAndGet();
                    Matcher e = ENDPOINT_ID.matcher(body);
                    // the changed brightness is the first one in the message (payload.change before context)
                    Matcher b = BRIGHTNESS.matcher(body);
                    if (e.find() && b.find()) {
                        Change change = CHANGES.get(DEVICE_OF_ENDPOINT.get(e.group(1)) + ":" + b.group(1));
                        if (change != null && change.alexa == 0) {
                            change.alexa = now;
                        }
                    }
                }
                exchange.sendResponseHeaders(202, -1);
                exchange.close();
            });
            gateway.start();
        }

        boolean alexa = gateway != null;
        List<String> devices = ensureDimmers(http, base, key, deviceCount);
        if (alexa) {
            for (String device : devices) {
                HttpResponse<String> got = http.send(request(base + "/api/v1/devices/" + device, key).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                Matcher m = ALEXA_ENDPOINT.matcher(got.body());
                if (m.find()) {
                    DEVICE_OF_ENDPOINT.put(m.group(1), device);
                }
            }
        }
        HttpResponse<String> webhook = http.send(request(base + "/api/v1/webhooks", key)
                .POST(HttpRequest.BodyPublishers.ofString("{\"url\":\"http://127.0.0.1:" + receiver.getAddress().getPort()
                        + "/hook\",\"events\":[\"property.changed\"]}")).build(), HttpResponse.BodyHandlers.ofString());
        Matcher s = SECRET.matcher(webhook.body());
        if (webhook.statusCode() != 201 || !s.find()) {
            throw new IllegalStateException("webhook creation failed: " + webhook.statusCode() + " " + webhook.body());
        }
        secret[0] = Base64.getDecoder().decode(s.group(1).substring("whsec_".length()));

        CountDownLatch streaming = new CountDownLatch(1);
        HttpResponse<Stream<String>> sse = http.send(request(base + "/api/v1/events/stream", key)
                .header("Accept", "text/event-stream").GET().build(), HttpResponse.BodyHandlers.ofLines());
        Thread.ofPlatform().daemon().start(() -> sse.body().forEach(line -> {
            if (line.startsWith(":")) {
                streaming.countDown();
            } else if (line.startsWith("data:")) {
                long now = System.nanoTime();
                Change change = find(line);
                if (change != null && change.sse == 0) {
                    change.sse = now;
                }
            }
        }));
        if (!streaming.await(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the live stream did not open: " + sse.statusCode());
        }

        int noiseSegment = Integer.parseInt(System.getenv().getOrDefault("NOISE_SEGMENT_SECONDS", "0"));
        int noiseMargin = Integer.parseInt(System.getenv().getOrDefault("NOISE_MARGIN_SECONDS", "0"));
        int[] counters = new int[devices.size()];
        if (System.getenv("READY_FILE") != null) { // bench/NoisyLoad.java waits for it
            java.nio.file.Files.writeString(java.nio.file.Path.of(System.getenv("READY_FILE")), "sending");
        }
        long begin = System.nanoTime();
        long start = begin + TimeUnit.SECONDS.toNanos(preSeconds);
        long measuredFrom = start + TimeUnit.SECONDS.toNanos(warmup);
        long stopAt = measuredFrom + TimeUnit.SECONDS.toNanos(seconds);
        AtomicInteger inFlight = new AtomicInteger();
        int maxInFlight = 0;
        long due = begin;
        long sentInWindow = 0;
        for (long i = 0; due < stopAt; i++) {
            // the warm-up ramps from a tenth of the rate to the full rate (a cold JVM cannot take it at once)
            double progress = Math.min(1.0, (double) (due - start) / Math.max(1, measuredFrom - start));
            double current = due < start ? preRate : due >= measuredFrom ? rate : rate * (0.1 + 0.9 * progress);
            due += (long) (1_000_000_000L / current);
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            int d = (int) (i % devices.size());
            int value = counters[d]++ % 100 + 1;
            String device = devices.get(d);
            long sent = System.nanoTime();
            Change change = new Change(sent, sent >= measuredFrom);
            if (noiseSegment > 0) {
                long wall = System.currentTimeMillis() / 1000;
                change.segment = wall % noiseSegment < noiseMargin ? -1 : (int) ((wall / noiseSegment) % 2);
            }
            if (change.measured) {
                sentInWindow++;
            }
            CHANGES.put(device + ":" + value, change);
            maxInFlight = Math.max(maxInFlight, inFlight.incrementAndGet());
            http.sendAsync(request(base + "/api/v1/devices/" + device + "/properties", key)
                            .PUT(HttpRequest.BodyPublishers.ofString("{\"brightness\":" + value + "}")).build(),
                    HttpResponse.BodyHandlers.discarding())
                    .whenComplete((response, error) -> {
                        inFlight.decrementAndGet();
                        if (error != null || response.statusCode() != 200) {
                            ERRORS.incrementAndGet();
                            CHANGES.remove(device + ":" + value);
                        } else {
                            change.committed = System.nanoTime();
                        }
                    });
        }
        double sendSeconds = (System.nanoTime() - start) / 1e9;

        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < end && CHANGES.values().stream()
                .anyMatch(c -> c.measured && (c.committed == 0 || c.webhook == 0 || c.sse == 0
                        || (alexa && c.alexa == 0)))) {
            Thread.sleep(100);
        }

        List<Change> measured = CHANGES.values().stream().filter(c -> c.measured && c.committed != 0).toList();
        System.out.printf("load target=%d/s sent=%d in the %ds window (%.0f/s) after a %ds ramp-up; acknowledged=%d; "
                        + "devices=%d max_in_flight=%d request_errors=%d (%.0f s sending in all)%n", rate, sentInWindow,
                seconds, sentInWindow / (double) seconds, warmup, measured.size(), devices.size(), maxInFlight,
                ERRORS.get(), sendSeconds);
        report("rest     (request sent -> 200)", measured, c -> c.sent, c -> c.committed);
        report("webhook  (request sent -> webhook received)", measured, c -> c.sent, c -> c.webhook);
        report("sse      (request sent -> SSE event received)", measured, c -> c.sent, c -> c.sse);
        // what each path adds to the request's own round trip (negative: it arrived before the 200)
        report("webhook  (200 received -> webhook received)", measured, c -> c.committed, c -> c.webhook);
        report("sse      (200 received -> SSE event received)", measured, c -> c.committed, c -> c.sse);
        if (alexa) {
            report("alexa    (request sent -> ChangeReport received)", measured, c -> c.sent, c -> c.alexa);
            report("alexa    (200 received -> ChangeReport received)", measured, c -> c.committed, c -> c.alexa);
            if (noiseSegment > 0) {
                for (int c = 0; c < 2; c++) {
                    int k = c;
                    List<Change> in = measured.stream().filter(x -> x.segment == k).toList();
                    String tag = k == 0 ? " [alone]" : " [noisy]";
                    report("rest     (request sent -> 200)" + tag, in, x -> x.sent, x -> x.committed);
                    report("alexa    (request sent -> ChangeReport received)" + tag, in, x -> x.sent, x -> x.alexa);
                }
            }
            System.out.printf("alexa change_reports=%d bad_tokens=%d (missing = coalesced into a later report of "
                    + "the same dimmer)%n", ALEXA_REPORTS.get(), ALEXA_BAD_TOKENS.get());
            gateway.stop(0);
        }
        System.out.printf("webhook bad_signatures=%d duplicates=%d%n", BAD_SIGNATURES.get(), DUPLICATES.get());
        receiver.stop(0);
        System.exit(0);
    }

    interface Arrival {
        long at(Change change);
    }

    static void report(String name, List<Change> changes, Arrival from, Arrival arrival) {
        long[] latencies = changes.stream().filter(c -> arrival.at(c) != 0).mapToLong(c -> arrival.at(c) - from.at(c))
                .sorted().toArray();
        long missing = changes.size() - latencies.length;
        System.out.printf("%-54s n=%d missing=%d p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f%n", name,
                latencies.length, missing, pct(latencies, 0.50), pct(latencies, 0.90), pct(latencies, 0.99),
                latencies.length == 0 ? Double.NaN : latencies[latencies.length - 1] / 1e6);
    }

    static Change find(String json) {
        Matcher d = DEVICE.matcher(json);
        Matcher v = NEW_VALUE.matcher(json);
        if (!d.find() || !v.find()) {
            return null;
        }
        return CHANGES.get(d.group(1) + ":" + v.group(1));
    }

    static List<String> ensureDimmers(HttpClient http, String base, String key, int count) throws Exception {
        List<String> ids = new ArrayList<>();
        String cursor = null;
        do {
            HttpResponse<String> page = http.send(request(base + "/api/v1/devices?limit=100&type=dimmer"
                    + (cursor == null ? "" : "&cursor=" + cursor), key).GET().build(), HttpResponse.BodyHandlers.ofString());
            Matcher m = Pattern.compile("\"id\"\\s*:\\s*\"([0-9a-f-]{36})\"\\s*,\\s*\"name\"").matcher(page.body());
            while (m.find()) {
                ids.add(m.group(1));
            }
            Matcher next = Pattern.compile("\"nextCursor\"\\s*:\\s*\"([^\"]+)\"").matcher(page.body());
            cursor = next.find() ? next.group(1) : null;
        } while (cursor != null);
        while (ids.size() < count) {
            String body = "{\"name\":\"bench-" + System.nanoTime() + "\",\"type\":\"dimmer\"}";
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

    static String sign(byte[] secret, String id, String ts, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update((id + "." + ts + ".").getBytes(StandardCharsets.UTF_8));
            return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(body));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
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
