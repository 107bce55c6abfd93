package io.virtdevice.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.function.Predicate;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.awaitility.Awaitility;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A local webhook endpoint (JDK HttpServer on 127.0.0.1) that records every request and checks its
 * Standard Webhooks signature against the secrets it was told. By default it answers 200; tests queue
 * other answers (status, headers, body, delay) to make attempts fail on purpose.
 */
public final class WebhookReceiver implements AutoCloseable {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** One request as received. */
    public record Delivery(String id, long timestamp, List<String> signatures, Map<String, List<String>> headers,
            String body, Instant receivedAt, boolean signatureValid, int remotePort) {

        public JsonNode json() {
            return JSON.readTree(body);
        }

        public String header(String name) {
            return headers.entrySet().stream()
                    .filter(e -> e.getKey().equalsIgnoreCase(name))
                    .findFirst()
                    .map(e -> e.getValue().get(0))
                    .orElse(null);
        }
    }

    /** An answer to give. */
    public record Answer(int status, Map<String, String> headers, String body, Duration delay) {
        public static Answer status(int status) {
            return new Answer(status, Map.of(), "", Duration.ZERO);
        }

        public Answer withHeader(String name, String value) {
            Map<String, String> h = new java.util.LinkedHashMap<>(headers);
            h.put(name, value);
            return new Answer(status, h, body, delay);
        }

        public Answer withBody(String text) {
            return new Answer(status, headers, text, delay);
        }

        public Answer after(Duration wait) {
            return new Answer(status, headers, body, wait);
        }
    }

    private final HttpServer server;
    private final List<Delivery> deliveries = new CopyOnWriteArrayList<>();
    private final Queue<Answer> answers = new ConcurrentLinkedQueue<>();
    private final List<byte[]> secrets = new CopyOnWriteArrayList<>();
    private volatile Answer fallback = Answer.status(200).withBody("ok");

    public WebhookReceiver() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 200);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        server.createContext("/", this::handle);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
    }

    public String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** Accepts signatures made with this {@code whsec_} secret (several may be active at once). */
    public WebhookReceiver trust(String secret) {
        secrets.add(Base64.getDecoder().decode(secret.substring("whsec_".length())));
        return this;
    }

    /** The next requests get these answers, in order; afterwards the fallback. */
    public WebhookReceiver answer(Answer... next) {
        answers.addAll(List.of(next));
        return this;
    }

    public WebhookReceiver always(Answer answer) {
        fallback = answer;
        return this;
    }

    public List<Delivery> deliveries() {
        return List.copyOf(deliveries);
    }

    /** Waits until at least {@code count} requests match, or fails after {@code timeout}. */
    public List<Delivery> await(int count, Duration timeout, Predicate<Delivery> filter) {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<Delivery> matching = deliveries.stream().filter(filter).toList();
            if (matching.size() >= count) {
                return matching;
            }
            if (System.nanoTime() > end) {
                throw new AssertionError("expected " + count + " deliveries within " + timeout + ", got "
                        + matching.size() + " of " + deliveries.size());
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    public List<Delivery> await(int count, Duration timeout) {
        return await(count, timeout, d -> true);
    }

    /**
     * Asserts that exactly {@code count} requests arrived and that the count stays there for {@code quiet}: a
     * message sent twice, or one that must not be sent at all, would arrive within it.
     */
    public List<Delivery> assertStaysAt(int count, Duration quiet) {
        Awaitility.await("exactly " + count + " deliveries for " + quiet)
                .during(quiet)
                .atMost(quiet.plusSeconds(5))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> deliveries.size() == count);
        return deliveries();
    }

    private void handle(HttpExchange exchange) throws IOException {
        byte[] body = exchange.getRequestBody().readAllBytes();
        String id = exchange.getRequestHeaders().getFirst("webhook-id");
        String ts = exchange.getRequestHeaders().getFirst("webhook-timestamp");
        String sig = exchange.getRequestHeaders().getFirst("webhook-signature");
        List<String> signatures = sig == null ? List.of() : List.of(sig.split(" "));
        long timestamp = ts == null ? -1 : Long.parseLong(ts);
        deliveries.add(new Delivery(id, timestamp, signatures, Map.copyOf(exchange.getRequestHeaders()),
                new String(body, StandardCharsets.UTF_8), Instant.now(), verify(id, ts, body, signatures),
                exchange.getRemoteAddress().getPort()));
        Answer answer = answers.poll();
        if (answer == null) {
            answer = fallback;
        }
        if (!answer.delay().isZero()) {
            try {
                Thread.sleep(answer.delay());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        answer.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
        byte[] out = answer.body().getBytes(StandardCharsets.UTF_8);
        try {
            exchange.sendResponseHeaders(answer.status(), out.length == 0 ? -1 : out.length);
            if (out.length > 0) {
                try (OutputStream os = exchange.getResponseBody()) {
                    os.write(out);
                }
            }
        } catch (IOException e) {
            // the sender gave up (timeout tests)
        } finally {
            exchange.close();
        }
    }

    /** Every signature must be valid for some trusted secret, and at least one must be present. */
    private boolean verify(String id, String ts, byte[] body, List<String> signatures) {
        if (id == null || ts == null || signatures.isEmpty() || secrets.isEmpty()) {
            return false;
        }
        List<String> expected = new ArrayList<>();
        for (byte[] secret : secrets) {
            expected.add(sign(secret, id, ts, body));
        }
        return signatures.stream().allMatch(s -> expected.stream().anyMatch(e -> MessageDigest.isEqual(
                e.getBytes(StandardCharsets.UTF_8), s.getBytes(StandardCharsets.UTF_8))));
    }

    public static String sign(byte[] secret, String id, String ts, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update((id + "." + ts + ".").getBytes(StandardCharsets.UTF_8));
            return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(body));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
