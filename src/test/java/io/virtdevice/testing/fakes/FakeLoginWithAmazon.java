package io.virtdevice.testing.fakes;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistrar;

/**
 * Login with Amazon's token endpoint ({@code POST /auth/o2/token}, shared/spec/alexa.md §5) on the loopback
 * interface, for tests and local development. It CHECKS what it receives, so a wrong request fails a test:
 * a form body ({@code application/x-www-form-urlencoded}, UTF-8), exactly the four fields of each grant type
 * ({@code grant_type, code, client_id, client_secret} or {@code grant_type, refresh_token, client_id,
 * client_secret}), no {@code Authorization} header, the skill's messaging client id and secret, a code it issued
 * and never redeemed before, a refresh token it issued and has not rotated away. Whatever breaks those rules
 * is answered with an OAuth error and listed in {@link #problems()}. Every refresh rotates the refresh token.
 *
 * <p>Each {@link Grant} (one code, then its chain of refresh tokens) records its own requests and can be
 * scripted to fail ({@link Failure}) or to answer slowly, so tests sharing one fake do not see each other.
 *
 * <p>Local development: {@code main} (see docs/alexa.md "A fake Login with Amazon for local development")
 * accepts any code once, since no real Alexa hands out codes there.
 */
public final class FakeLoginWithAmazon implements AutoCloseable {

    public static final String CLIENT_ID = "amzn1.application-oa2-client.virtdevicetest0123456789";
    public static final String CLIENT_SECRET = "virtdevice-test-skill-messaging-secret-0123456789";
    public static final String PATH = "/auth/o2/token";

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Set<String> CODE_FIELDS = Set.of("grant_type", "code", "client_id", "client_secret");
    private static final Set<String> REFRESH_FIELDS = Set.of("grant_type", "refresh_token", "client_id", "client_secret");

    /** A scripted answer, used once by the next request of its grant. */
    public enum Failure {
        /** 400 {@code invalid_grant}: the code or refresh token is refused (a refresh token for good). */
        INVALID_GRANT,
        /** 500 {@code server_error}. */
        SERVER_ERROR,
        /** The normal answer, after {@link #slowAnswer()} (longer than the app's LWA time-out in tests). */
        SLOW,
        /** 200 with an access token but no refresh token. */
        NO_REFRESH_TOKEN,
        /** 401 {@code invalid_client}, as if the skill's messaging credentials were wrong. */
        INVALID_CLIENT
    }

    /** One well-formed request as received (recorded on arrival, before any scripted delay). */
    public record Request(String grantType, Map<String, String> form) {}

    /** One authorization code and the refresh-token chain it starts. */
    public final class Grant {
        private final String code;
        private final Queue<Failure> failures = new ConcurrentLinkedQueue<>();
        private final List<Request> requests = new CopyOnWriteArrayList<>();
        private final List<String> accessTokens = new CopyOnWriteArrayList<>();
        private volatile Duration latency = Duration.ZERO;
        private volatile String refreshToken;
        private volatile boolean revoked;

        private Grant(String code) {
            this.code = code;
        }

        /** The code to put into an AcceptGrant directive. */
        public String code() {
            return code;
        }

        /** Scripts the next requests of this grant. */
        public Grant failNext(Failure... next) {
            failures.addAll(List.of(next));
            return this;
        }

        /** Every answer of this grant comes after this delay (to make concurrent callers overlap). */
        public Grant latency(Duration delay) {
            this.latency = delay;
            return this;
        }

        /** The user revoked the skill's permission: the refresh token now gets {@code invalid_grant}. */
        public void revoke() {
            revoked = true;
        }

        public List<Request> requests() {
            return List.copyOf(requests);
        }

        public List<Request> requests(String grantType) {
            return requests.stream().filter(r -> grantType.equals(r.grantType())).toList();
        }

        /** The current refresh token (null before the code was redeemed). */
        public String refreshToken() {
            return refreshToken;
        }

        /** Every access token issued, oldest first. */
        public List<String> accessTokens() {
            return List.copyOf(accessTokens);
        }

        /** The newest access token issued, or null. */
        public String accessToken() {
            return accessTokens.isEmpty() ? null : accessTokens.getLast();
        }
    }

    private final HttpServer server;
    private final String clientId;
    private final String clientSecret;
    private final boolean acceptAnyCode;
    private final Map<String, Grant> byCode = new ConcurrentHashMap<>();
    private final Set<String> redeemedCodes = ConcurrentHashMap.newKeySet();
    private final Map<String, Grant> byRefreshToken = new ConcurrentHashMap<>();
    private final Set<String> rotatedRefreshTokens = ConcurrentHashMap.newKeySet();
    private final Map<String, Grant> byAccessToken = new ConcurrentHashMap<>();
    private final List<String> problems = new CopyOnWriteArrayList<>();
    private volatile long expiresIn = 3600;
    private volatile Duration slowAnswer = Duration.ofSeconds(3);

    private FakeLoginWithAmazon(HttpServer server, String clientId, String clientSecret, boolean acceptAnyCode) {
        this.server = server;
        this.clientId = clientId;
        this.clientSecret = clientSecret;
        this.acceptAnyCode = acceptAnyCode;
    }

    /** Starts on a free loopback port with the test credentials ({@link #CLIENT_ID}, {@link #CLIENT_SECRET}). */
    public static FakeLoginWithAmazon start() {
        return start(0, CLIENT_ID, CLIENT_SECRET, false);
    }

    public static FakeLoginWithAmazon start(int port, String clientId, String clientSecret, boolean acceptAnyCode) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
            FakeLoginWithAmazon fake = new FakeLoginWithAmazon(server, clientId, clientSecret, acceptAnyCode);
            server.createContext("/", fake::handle);
            server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            server.start();
            return fake;
        } catch (IOException e) {
            throw new IllegalStateException("could not start the fake Login with Amazon", e);
        }
    }

    /** Local development: {@code [port] [client-id] [client-secret]}, defaults 8089 and the test credentials. */
    public static void main(String[] args) throws InterruptedException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 8089;
        String id = args.length > 1 ? args[1] : CLIENT_ID;
        String secret = args.length > 2 ? args[2] : CLIENT_SECRET;
        FakeLoginWithAmazon fake = start(port, id, secret, true);
        System.out.println("Fake Login with Amazon at " + fake.tokenUrl() + " (client id " + id
                + "); any grant code is accepted once. Ctrl-C stops it.");
        Thread.currentThread().join();
    }

    public String tokenUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + PATH;
    }

    /** A new authorization code, as Alexa would put into AcceptGrant. */
    public Grant issueCode() {
        Grant grant = new Grant("ANUb" + random(18));
        byCode.put(grant.code(), grant);
        return grant;
    }

    /** expires_in of the tokens issued from now on. */
    public void expiresIn(long seconds) {
        this.expiresIn = seconds;
    }

    /** How long a {@link Failure#SLOW} answer takes. */
    public Duration slowAnswer() {
        return slowAnswer;
    }

    /** Whether {@code token} is an access token this fake issued (for a fake Event Gateway's bearer check). */
    public boolean issued(String accessToken) {
        return accessToken != null && byAccessToken.containsKey(accessToken);
    }

    /** What broke the protocol so far (an empty list: every request was right). */
    public List<String> problems() {
        return List.copyOf(problems);
    }

    @Override
    public void close() {
        server.stop(0);
    }

    // ----------------------------------------------------------------------------------------------------

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readNBytes(64 * 1024);
            }
            if (!exchange.getRequestURI().getPath().equals(PATH)) {
                problem("request to " + exchange.getRequestURI().getPath() + " instead of " + PATH);
                answer(exchange, 404, "{\"error\":\"not_found\"}");
                return;
            }
            if (!exchange.getRequestMethod().equals("POST")) {
                problem(exchange.getRequestMethod() + " instead of POST");
                answer(exchange, 405, "{\"error\":\"invalid_request\"}");
                return;
            }
            String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
            String type = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT).replace(" ", "");
            if (!type.equals("application/x-www-form-urlencoded")
                    && !type.equals("application/x-www-form-urlencoded;charset=utf-8")) {
                problem("Content-Type " + contentType + " instead of application/x-www-form-urlencoded;charset=UTF-8");
                answer(exchange, 400, error("invalid_request", "form body expected"));
                return;
            }
            if (exchange.getRequestHeaders().containsKey("Authorization")) {
                problem("an Authorization header: the skill's credentials go in the form body");
            }
            Map<String, String> form = form(new String(body, StandardCharsets.UTF_8));
            if (form == null) {
                answer(exchange, 400, error("invalid_request", "malformed form"));
                return;
            }
            String grantType = form.get("grant_type");
            Set<String> expected = "authorization_code".equals(grantType) ? CODE_FIELDS
                    : "refresh_token".equals(grantType) ? REFRESH_FIELDS : null;
            if (expected == null) {
                problem("grant_type " + grantType);
                answer(exchange, 400, error("unsupported_grant_type", "authorization_code or refresh_token"));
                return;
            }
            if (!form.keySet().equals(expected)) {
                problem(grantType + " with the fields " + form.keySet() + " instead of exactly " + expected);
                answer(exchange, 400, error("invalid_request", "unexpected fields"));
                return;
            }
            Grant grant = "authorization_code".equals(grantType) ? codeGrant(form.get("code"))
                    : byRefreshToken.get(form.get("refresh_token"));
            Failure failure = grant == null ? null : grant.failures.poll();
            if (grant != null) {
                grant.requests.add(new Request(grantType, Map.copyOf(form)));
            }
            if (grant != null && !grant.latency.isZero()) {
                pause(grant.latency);
            }
            if (failure == Failure.SLOW) {
                pause(slowAnswer);
            }
            respond(exchange, grantType, form, grant, failure);
        }
    }

    private int respond(HttpExchange exchange, String grantType, Map<String, String> form, Grant grant,
            Failure failure) throws IOException {
        if (failure == Failure.INVALID_CLIENT) {
            return answer(exchange, 401, error("invalid_client", "scripted"));
        }
        if (!clientId.equals(form.get("client_id")) || !clientSecret.equals(form.get("client_secret"))) {
            problem("wrong client credentials (client_id " + form.get("client_id") + ")");
            return answer(exchange, 401, error("invalid_client", "unknown client"));
        }
        if (grantType.equals("authorization_code")) {
            String code = form.get("code");
            if (grant == null) {
                return answer(exchange, 400, error("invalid_grant", "unknown code"));
            }
            if (!redeemedCodes.add(code)) {
                problem("the code " + code + " was redeemed twice (a code is single-use: never retry it)");
                return answer(exchange, 400, error("invalid_grant", "code already used"));
            }
        } else {
            String refresh = form.get("refresh_token");
            if (grant == null) {
                if (rotatedRefreshTokens.contains(refresh)) {
                    problem("a refresh token was used after it had been rotated (store the new one)");
                }
                return answer(exchange, 400, error("invalid_grant", "unknown refresh token"));
            }
            if (grant.revoked) {
                return answer(exchange, 400, error("invalid_grant", "the customer revoked the permission"));
            }
        }
        if (failure == Failure.INVALID_GRANT) {
            grant.revoked = true;
            return answer(exchange, 400, error("invalid_grant", "scripted"));
        }
        if (failure == Failure.SERVER_ERROR) {
            return answer(exchange, 500, error("server_error", "scripted"));
        }
        String access = "Atza|" + random(48);
        String refresh = "Atzr|" + random(48);
        synchronized (grant) {
            if (grant.refreshToken != null) {
                byRefreshToken.remove(grant.refreshToken);
                rotatedRefreshTokens.add(grant.refreshToken);
            }
            grant.refreshToken = refresh;
            byRefreshToken.put(refresh, grant);
            grant.accessTokens.add(access);
            byAccessToken.put(access, grant);
        }
        String json = failure == Failure.NO_REFRESH_TOKEN
                ? "{\"access_token\":\"" + access + "\",\"token_type\":\"bearer\",\"expires_in\":" + expiresIn + "}"
                : "{\"access_token\":\"" + access + "\",\"refresh_token\":\"" + refresh
                        + "\",\"token_type\":\"bearer\",\"expires_in\":" + expiresIn + "}";
        return answer(exchange, 200, json);
    }

    private Grant codeGrant(String code) {
        Grant grant = byCode.get(code);
        if (grant == null && acceptAnyCode && code != null && !code.isEmpty()) {
            grant = byCode.computeIfAbsent(code, Grant::new);
        }
        return grant;
    }

    /** Parses a form strictly: every pair has a name and '=', no name twice; null (and a problem) otherwise. */
    private Map<String, String> form(String body) {
        Map<String, String> form = new LinkedHashMap<>();
        if (body.isEmpty()) {
            problem("an empty body");
            return null;
        }
        for (String pair : body.split("&", -1)) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                problem("a malformed form pair '" + pair + "'");
                return null;
            }
            String name;
            String value;
            try {
                name = URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8);
                value = URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                problem("a badly encoded form pair");
                return null;
            }
            if (form.put(name, value) != null) {
                problem("the field " + name + " twice");
                return null;
            }
        }
        return form;
    }

    private void problem(String what) {
        problems.add(what);
    }

    private static String error(String code, String description) {
        return "{\"error\":\"" + code + "\",\"error_description\":\"" + description + "\"}";
    }

    private static int answer(HttpExchange exchange, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json;charset=UTF-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        } catch (IOException e) {
            // the client gave up waiting (a time-out test): nothing to tell it any more
        }
        return status;
    }

    private static void pause(Duration delay) {
        try {
            Thread.sleep(delay);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String random(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /**
     * For {@code @IntegrationTest}: one fake per application context, and the app pointed at it
     * ({@code virtdevice.alexa.lwa.token-url} and the messaging credentials).
     */
    @TestConfiguration(proxyBeanMethods = false)
    public static class Registration {

        @Bean(destroyMethod = "close")
        FakeLoginWithAmazon fakeLoginWithAmazon() {
            return FakeLoginWithAmazon.start();
        }

        @Bean
        DynamicPropertyRegistrar fakeLoginWithAmazonProperties(FakeLoginWithAmazon fake) {
            return registry -> {
                registry.add("virtdevice.alexa.lwa.token-url", fake::tokenUrl);
                registry.add("virtdevice.alexa.messaging.client-id", () -> CLIENT_ID);
                registry.add("virtdevice.alexa.messaging.client-secret", () -> CLIENT_SECRET);
            };
        }
    }

    /** The settings that point a separately started instance at this fake. */
    public List<String> settings() {
        List<String> settings = new ArrayList<>();
        settings.add("virtdevice.alexa.lwa.token-url=" + tokenUrl());
        settings.add("virtdevice.alexa.messaging.client-id=" + clientId);
        settings.add("virtdevice.alexa.messaging.client-secret=" + clientSecret);
        return settings;
    }
}
