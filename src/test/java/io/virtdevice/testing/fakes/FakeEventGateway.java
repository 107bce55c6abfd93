package io.virtdevice.testing.fakes;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.virtdevice.alexa.AlexaRegion;
import io.virtdevice.alexa.AlexaSchema;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistrar;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A local Alexa Event Gateway (spec §1, §7): one URL per region ({@code /na/v3/events}, {@code /eu/…},
 * {@code /fe/…}). It checks every message as Amazon would, and more strictly:
 * <ul>
 *   <li>{@code Authorization: Bearer} must equal the message's scope token ({@code event.endpoint.scope} or,
 *       for Add/DeleteReport, {@code event.payload.scope});</li>
 *   <li>the message must validate against Amazon's schema (a DeleteReport against ours), a ChangeReport and a
 *       DoorbellPress must name their endpoint; otherwise 400 {@code INVALID_REQUEST_EXCEPTION}, and the message
 *       is listed in {@link #invalid()} (tests assert it stays empty);</li>
 *   <li>the token must be one it was told about ({@link #accept}) for <em>this</em> region: a token of
 *       another region, or one whose skill was disabled, gets 403 {@code SKILL_DISABLED_EXCEPTION} (what Amazon
 *       answers a wrong regional gateway); an unknown token 401 {@code INVALID_ACCESS_TOKEN_EXCEPTION}.</li>
 * </ul>
 * Answers can be scripted per token (429, 401, 403, 500, slow); every request is recorded with its time.
 * {@link #main} runs it for local development, accepting any token.
 */
public final class FakeEventGateway implements AutoCloseable {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static volatile FakeEventGateway shared;

    /** One request as received, with the answer given. */
    public record Received(AlexaRegion region, String authorization, String body, JsonNode message,
            Instant receivedAt, int status, String code, List<String> problems) {

        public String namespace() {
            return message == null ? null : message.path("event").path("header").path("namespace").asString();
        }

        public String name() {
            return message == null ? null : message.path("event").path("header").path("name").asString();
        }

        /** The endpoint the message is about (event.endpoint, or the first of payload.endpoints). */
        public String endpointId() {
            if (message == null) {
                return null;
            }
            JsonNode endpoint = message.path("event").path("endpoint").path("endpointId");
            return endpoint.isString() ? endpoint.asString()
                    : message.path("event").path("payload").path("endpoints").path(0).path("endpointId").asString();
        }

        public String token() {
            return authorization != null && authorization.startsWith("Bearer ") ? authorization.substring(7) : null;
        }

        public boolean accepted() {
            return status == 202;
        }
    }

    /** A scripted answer. */
    public record Answer(int status, String code, Duration delay) {
        public static Answer of(int status, String code) {
            return new Answer(status, code, Duration.ZERO);
        }

        public static Answer throttled() {
            return of(429, "THROTTLING_EXCEPTION");
        }

        public static Answer invalidToken() {
            return of(401, "INVALID_ACCESS_TOKEN_EXCEPTION");
        }

        public static Answer skillDisabled() {
            return of(403, "SKILL_DISABLED_EXCEPTION");
        }

        public static Answer internalError() {
            return of(500, "INTERNAL_SERVICE_EXCEPTION");
        }

        /** The connection is closed without an answer (a network error on the sender's side). */
        public static Answer dropConnection() {
            return of(-1, null);
        }

        public static Answer badRequest() {
            return of(400, "INVALID_REQUEST_EXCEPTION");
        }

        public Answer after(Duration wait) {
            return new Answer(status, code, wait);
        }
    }

    private final HttpServer server;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private record Accepted(AlexaRegion region, Predicate<String> token) {}

    private record Script(Predicate<String> token, Queue<Answer> answers) {}

    private final List<Accepted> accepted = new CopyOnWriteArrayList<>();
    private final List<Predicate<String>> acceptedAnywhere = new CopyOnWriteArrayList<>();
    private final Set<String> disabled = ConcurrentHashMap.newKeySet();
    private final List<Script> scripts = new CopyOnWriteArrayList<>();
    private volatile boolean acceptAny;
    private volatile Duration latency = Duration.ZERO;

    public FakeEventGateway(int port) {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 400);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (AlexaRegion region : AlexaRegion.values()) {
            server.createContext("/" + region.name().toLowerCase(Locale.ROOT) + "/v3/events",
                    exchange -> handle(region, exchange));
        }
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
    }

    /** The instance every test application context is configured with (one per test JVM), started on first use. */
    public static FakeEventGateway shared() {
        FakeEventGateway current = shared;
        if (current == null) {
            synchronized (FakeEventGateway.class) {
                if (shared == null) {
                    shared = new FakeEventGateway(0);
                }
                current = shared;
            }
        }
        return current;
    }

    /**
     * For {@code @IntegrationTest}: the application's three gateway URLs point at {@link #shared()}, which accepts
     * the access tokens this context's {@link FakeLoginWithAmazon} issues (in any region, unless a test tied them
     * to one).
     */
    @TestConfiguration(proxyBeanMethods = false)
    public static class Registration {

        @Bean
        DynamicPropertyRegistrar fakeEventGatewayProperties(FakeLoginWithAmazon lwa) {
            shared().acceptAnywhere(lwa::issued);
            return registry -> {
                for (AlexaRegion region : AlexaRegion.values()) {
                    registry.add("virtdevice.alexa.event-gateway." + region.name().toLowerCase(Locale.ROOT),
                            () -> shared().url(region));
                }
            };
        }
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public String url(AlexaRegion region) {
        return baseUrl() + "/" + region.name().toLowerCase(Locale.ROOT) + "/v3/events";
    }

    /** Accepts {@code token} on {@code region}'s gateway (as Amazon does once LWA issued it for that skill). */
    public FakeEventGateway accept(AlexaRegion region, String token) {
        disabled.remove(token);
        return accept(region, token::equals);
    }

    /**
     * Accepts on {@code region}'s gateway every token {@code tokens} recognises, e.g. every access token the
     * fake Login with Amazon issued for one grant (refreshed ones included).
     */
    public FakeEventGateway accept(AlexaRegion region, Predicate<String> tokens) {
        accepted.add(new Accepted(region, tokens));
        return this;
    }

    /** The user disabled the skill: the token gets 403 SKILL_DISABLED_EXCEPTION from now on. */
    public FakeEventGateway disable(String token) {
        disabled.add(token);
        return this;
    }

    /**
     * Accepts, on every region's gateway, the tokens {@code tokens} recognises unless {@link #accept} tied them to
     * a region: what every test context registers for the tokens its fake Login with Amazon issues, so events of
     * users linked by other tests are not refused (and their links not refreshed or marked) by surprise.
     */
    public FakeEventGateway acceptAnywhere(Predicate<String> tokens) {
        acceptedAnywhere.add(tokens);
        return this;
    }

    /** The next requests carrying {@code token} get these answers, in order (after the message checks). */
    public FakeEventGateway script(String token, Answer... answers) {
        return script(token::equals, answers);
    }

    /** The next requests carrying a token {@code tokens} recognises get these answers, in order. */
    public FakeEventGateway script(Predicate<String> tokens, Answer... answers) {
        scripts.add(new Script(tokens, new ConcurrentLinkedQueue<>(List.of(answers))));
        return this;
    }

    /** Every answer from now on takes at least this long (a slow gateway; scripted delays add to it). */
    public FakeEventGateway latency(Duration wait) {
        latency = wait;
        return this;
    }

    public FakeEventGateway acceptAnyToken() {
        acceptAny = true;
        return this;
    }

    public List<Received> received() {
        return List.copyOf(received);
    }

    /** Every request whose message failed a check (should stay empty). */
    public List<Received> invalid() {
        return received.stream().filter(r -> !r.problems().isEmpty()).toList();
    }

    public List<Received> received(Predicate<Received> filter) {
        return received.stream().filter(filter).toList();
    }

    /** Requests about an endpoint (by event.endpoint or payload.endpoints), in arrival order. */
    public List<Received> forEndpoint(String endpointId) {
        return received(r -> endpointId.equals(r.endpointId()));
    }

    /** Waits until at least {@code count} requests match, then returns them. */
    public List<Received> await(Predicate<Received> filter, int count) {
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                .until(() -> received(filter).size() >= count);
        return received(filter);
    }

    private void handle(AlexaRegion region, HttpExchange exchange) throws IOException {
        try (exchange) {
            Instant at = Instant.now();
            byte[] bytes = exchange.getRequestBody().readAllBytes();
            String body = new String(bytes, StandardCharsets.UTF_8);
            String authorization = exchange.getRequestHeaders().getFirst("Authorization");
            List<String> problems = new ArrayList<>();
            JsonNode message = null;
            if (!"POST".equals(exchange.getRequestMethod())) {
                problems.add("method " + exchange.getRequestMethod());
            }
            String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
            if (contentType == null || !contentType.startsWith("application/json")) {
                problems.add("Content-Type " + contentType);
            }
            try {
                message = JSON.readTree(body);
            } catch (JacksonException e) {
                problems.add("not JSON");
            }
            if (message != null) {
                check(message, authorization, problems);
            }
            Answer answer;
            if (!problems.isEmpty()) {
                answer = Answer.badRequest();
            } else {
                String token = authorization.substring(7);
                Answer next = scripts.stream().filter(sc -> sc.token().test(token)).map(sc -> sc.answers().poll())
                        .filter(java.util.Objects::nonNull).findFirst().orElse(null);
                List<AlexaRegion> regions = accepted.stream().filter(a -> a.token().test(token))
                        .map(Accepted::region).toList();
                if (next != null) {
                    answer = next;
                } else if (acceptAny) {
                    answer = Answer.of(202, null);
                } else if (disabled.contains(token)) {
                    answer = Answer.skillDisabled();
                } else if (regions.isEmpty()) {
                    answer = acceptedAnywhere.stream().anyMatch(p -> p.test(token)) ? Answer.of(202, null)
                            : Answer.invalidToken();
                } else if (!regions.contains(region)) {
                    answer = Answer.skillDisabled(); // a token of another region: Amazon's answer [I-vb6]
                } else {
                    answer = Answer.of(202, null);
                }
            }
            received.add(new Received(region, authorization, body, message, at, answer.status(), answer.code(),
                    List.copyOf(problems)));
            Duration wait = answer.delay().plus(latency);
            if (!wait.isZero()) {
                try {
                    Thread.sleep(wait);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (answer.status() < 0) {
                return; // closed by try-with-resources without a response
            }
            byte[] out = answer.code() == null ? new byte[0] : JSON.writeValueAsBytes(Map.of(
                    "header", Map.of("namespace", "System", "name", "Exception", "messageId", java.util.UUID.randomUUID().toString()),
                    "payload", Map.of("code", answer.code(), "description", "fake gateway: " + answer.code()
                            + (problems.isEmpty() ? "" : " " + problems))));
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(answer.status(), out.length == 0 ? -1 : out.length);
            if (out.length > 0) {
                try (OutputStream os = exchange.getResponseBody()) {
                    os.write(out);
                }
            }
        }
    }

    /** Amazon's schema (ours for DeleteReport), the bearer token, and what the schema leaves optional. */
    private static void check(JsonNode message, String authorization, List<String> problems) {
        AlexaSchema.eventErrors(message).stream().limit(5).forEach(e -> problems.add("schema: " + e));
        JsonNode event = message.path("event");
        String name = event.path("header").path("name").asString();
        String scopeToken = switch (name) {
            case "ChangeReport", "DoorbellPress" -> event.path("endpoint").path("scope").path("token").asString();
            default -> event.path("payload").path("scope").path("token").asString();
        };
        if (("ChangeReport".equals(name) || "DoorbellPress".equals(name))
                && !event.path("endpoint").path("endpointId").isString()) {
            problems.add(name + " without event.endpoint");
        }
        if ("ChangeReport".equals(name) && event.path("payload").path("change").path("properties").isEmpty()) {
            problems.add("ChangeReport without a changed property");
        }
        if (("AddOrUpdateReport".equals(name) || "DeleteReport".equals(name)) && event.has("endpoint")) {
            problems.add(name + " with event.endpoint");
        }
        if (event.path("header").has("correlationToken")) {
            problems.add("a proactive event with a correlationToken");
        }
        if (authorization == null || !authorization.startsWith("Bearer ")) {
            problems.add("no Authorization: Bearer");
        } else if (scopeToken == null || scopeToken.isEmpty() || !scopeToken.equals(authorization.substring(7))) {
            problems.add("the bearer token is not the message's scope token");
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }

    /** For local development: {@code FakeEventGateway [port]} accepts any token and prints what it gets. */
    public static void main(String[] args) throws InterruptedException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 8089;
        FakeEventGateway gateway = new FakeEventGateway(port).acceptAnyToken();
        for (AlexaRegion region : AlexaRegion.values()) {
            System.out.println("ALEXA_EVENT_GATEWAY_" + region + "=" + gateway.url(region));
        }
        int seen = 0;
        while (true) {
            Thread.sleep(500);
            List<Received> all = gateway.received();
            for (; seen < all.size(); seen++) {
                Received r = all.get(seen);
                System.out.println(r.receivedAt() + " " + r.region() + " " + r.status() + " " + r.name() + " "
                        + r.endpointId() + (r.problems().isEmpty() ? "" : " INVALID " + r.problems()) + "\n  " + r.body());
            }
        }
    }
}
