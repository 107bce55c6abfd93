package io.virtdevice.testing.fakes;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A local stand-in for IFTTT's Realtime API ({@code POST /v1/notifications}, shared/spec/ifttt.md §6) that
 * checks what it receives the way IFTTT would: the {@code IFTTT-Service-Key} header equal to the key it was
 * given (else 401), JSON content type, an {@code X-Request-ID}, and a body {@code {"data":[...]}} of 1 to
 * 1000 entries each {@code {"trigger_identity":"..."}} or {@code {"user_id":"..."}}, none named twice (else
 * 400). Tests read the requests it accepted and assert that none was refused; {@link #outage} makes it
 * answer 503, {@link #holdNext} keeps one request waiting for its answer.
 */
public final class FakeIftttRealtime implements AutoCloseable {

    public static final String PATH = "/v1/notifications";

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** One request: its trigger identities (or user ids) and how it was answered. */
    public record Notification(List<String> triggerIdentities, List<String> userIds, int status, String problem,
            Instant receivedAt) {
        public boolean accepted() {
            return status == 200;
        }
    }

    private final HttpServer server;
    private final String serviceKey;
    private final List<Notification> received = new CopyOnWriteArrayList<>();
    private volatile boolean outage;
    private volatile Hold hold;

    /** A request to keep waiting: the first naming {@code identity}. */
    private record Hold(String identity, CountDownLatch arrived, CountDownLatch released) {}

    public FakeIftttRealtime(String serviceKey) {
        this.serviceKey = serviceKey;
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 200);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        server.createContext("/", this::handle);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + PATH;
    }

    /** While on, every well-formed request is answered 503 (IFTTT unavailable). */
    public void outage(boolean on) {
        outage = on;
    }

    /**
     * The next request naming {@code triggerIdentity} waits, before it is answered, until {@link #release}:
     * a notice in flight.
     */
    public void holdNext(String triggerIdentity) {
        hold = new Hold(triggerIdentity, new CountDownLatch(1), new CountDownLatch(1));
    }

    /** Waits until the held request has arrived; false on timeout. */
    public boolean awaitHeld(Duration timeout) throws InterruptedException {
        Hold current = hold;
        return current != null && current.arrived().await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Lets the held request be answered (at most a minute after it arrived, it is anyway). */
    public void release() {
        Hold current = hold;
        hold = null;
        if (current != null) {
            current.released().countDown();
        }
    }

    public List<Notification> received() {
        return List.copyOf(received);
    }

    /** Requests refused because they broke the contract (wrong key, shape or size): should stay empty. */
    public List<Notification> refused() {
        return received.stream().filter(n -> n.problem() != null).toList();
    }

    /** How many accepted requests named this trigger identity. */
    public long acceptedFor(String triggerIdentity) {
        return received.stream().filter(Notification::accepted)
                .filter(n -> n.triggerIdentities().contains(triggerIdentity)).count();
    }

    public long attemptsFor(String triggerIdentity) {
        return received.stream().filter(n -> n.triggerIdentities().contains(triggerIdentity)).count();
    }

    private void handle(HttpExchange exchange) throws IOException {
        byte[] body = exchange.getRequestBody().readAllBytes();
        List<String> identities = new ArrayList<>();
        List<String> users = new ArrayList<>();
        String problem = check(exchange, body, identities, users);
        Hold current = hold;
        if (current != null && identities.contains(current.identity()) && current.arrived().getCount() > 0) {
            current.arrived().countDown();
            try {
                current.released().await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        int status = problem != null
                ? (problem.startsWith("key") ? 401 : 400)
                : outage ? 503 : 200;
        received.add(new Notification(List.copyOf(identities), List.copyOf(users), status, problem, Instant.now()));
        byte[] out = (problem == null ? "{}" : "{\"errors\":[{\"message\":\"" + problem + "\"}]}")
                .getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, out.length);
        try (OutputStream os = exchange.getResponseBody()) {
            os.write(out);
        } finally {
            exchange.close();
        }
    }

    private String check(HttpExchange exchange, byte[] body, List<String> identities, List<String> users) {
        if (!"POST".equals(exchange.getRequestMethod()) || !PATH.equals(exchange.getRequestURI().getPath())) {
            return "not POST " + PATH;
        }
        if (!serviceKey.equals(exchange.getRequestHeaders().getFirst("IFTTT-Service-Key"))) {
            return "key missing or wrong";
        }
        String type = exchange.getRequestHeaders().getFirst("Content-Type");
        if (type == null || !type.startsWith("application/json")) {
            return "Content-Type is not application/json";
        }
        String requestId = exchange.getRequestHeaders().getFirst("X-Request-ID");
        if (requestId == null || requestId.isBlank()) {
            return "no X-Request-ID";
        }
        JsonNode json;
        try {
            json = JSON.readTree(body);
        } catch (RuntimeException e) {
            return "body is not JSON";
        }
        JsonNode data = json.path("data");
        if (!json.isObject() || json.size() != 1 || !data.isArray() || data.isEmpty() || data.size() > 1000) {
            return "body is not {\"data\":[1..1000 entries]}";
        }
        for (JsonNode entry : data) {
            Set<String> keys = entry.isObject() ? Set.copyOf(entry.propertyNames()) : Set.of();
            if (keys.equals(Set.of("trigger_identity")) && entry.get("trigger_identity").isString()) {
                identities.add(entry.get("trigger_identity").stringValue());
            } else if (keys.equals(Set.of("user_id")) && entry.get("user_id").isString()) {
                users.add(entry.get("user_id").stringValue());
            } else {
                return "entry is neither {trigger_identity} nor {user_id}: " + entry;
            }
        }
        // a notice only says "poll this identity": naming one twice in a request means nothing was coalesced
        if (Set.copyOf(identities).size() != identities.size() || Set.copyOf(users).size() != users.size()) {
            return "an entry is named twice in one request";
        }
        return null;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
