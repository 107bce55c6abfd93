package io.virtdevice.platform;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.RawHttp;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * Hostile input over every surface never gets a 5xx: a deterministic fuzz (fixed seed, a few thousand
 * requests) of hostile JSON, bad encodings, odd content types, every method, junk cookies and headers,
 * plus the cases found by probing the running app. Errors on {@code /api} are problem details.
 */
@IntegrationTest
class HostileInputTests {

    private static final long SEED = 20_261_203L;
    private static final int RANDOM_REQUESTS = 2_000;

    @LocalServerPort
    int port;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    private Fixtures.TestUser user;
    private String deviceId;
    private String triggerPath;
    private String sessionCookie;

    @BeforeEach
    void setUp() {
        user = new Fixtures(dataSource, hasher).owner();
        Api api = new Api(port).bearer(user.apiKey());
        deviceId = api.post("/api/v1/devices", Map.of("name", "Fuzz lamp", "type", "switch")).json().path("id").asString();
        String url = api.post("/api/v1/devices/" + deviceId + "/triggers", Map.of("name", "fuzz")).json().path("url")
                .asString();
        triggerPath = url.substring(url.indexOf("/t/"));
        Api session = new Api(port).withCsrf();
        assertThat(session.post("/api/v1/auth/login", Map.of("email", user.email(), "password", Fixtures.PASSWORD))
                .status()).isBetween(200, 299);
        sessionCookie = "VDSESSION=" + session.cookies().get("VDSESSION");
    }

    @Test
    void aJunkSessionCookieIsIgnoredOnEveryPath() {
        for (String path : List.of("/actuator/health", "/", "/login", "/api/v1/device-types", "/api/v1/devices",
                "/oauth2/authorize?response_type=code&client_id=web", triggerPath)) {
            for (String cookie : List.of("VDSESSION=AAAA", "VDSESSION=%%%", "VDSESSION=", "VDSESSION=\"x\"",
                    "VDSESSION=" + "A".repeat(5000))) {
                RawHttp.Response response = RawHttp.send(port, "GET", path, List.of("Cookie: " + cookie), null);
                assertThat(response.status()).as("GET %s with %s", path, cookie).isLessThan(500);
            }
        }
        RawHttp.Response health = RawHttp.send(port, "GET", "/actuator/health", List.of("Cookie: VDSESSION=AAAA"), null);
        assertThat(health.status()).isEqualTo(200);
    }

    @Test
    void aDirectRequestForTheErrorPageIsNotAnError() {
        for (String method : List.of("GET", "POST", "HEAD", "PUT", "DELETE")) {
            RawHttp.Response response = RawHttp.send(port, method, "/error",
                    List.of("Accept: application/json"), null);
            assertThat(response.status()).as(method + " /error").isLessThan(500);
        }
        assertThat(RawHttp.send(port, "GET", "/error", List.of("Accept: text/html"), null).status()).isLessThan(500);
    }

    @Test
    void badPercentEncodingAndMalformedMultipartOnATriggerLinkAreClientErrors() {
        List<String> targets = List.of("/t/%zz", "/t/%", "/t/vdt_%FF%FE", "/t/%C0%AF", triggerPath + "%",
                triggerPath + "?value=%zz", triggerPath + "?property=%E0%A4%A", "/t/%00");
        for (String target : targets) {
            RawHttp.Response response = RawHttp.send(port, "GET", target, List.of(), null);
            assertThat(response.status()).as("GET " + target).isBetween(400, 499);
        }
        byte[] multipart = "--x\r\nContent-Disposition: form-data; name=\"value\"\r\n\r\n1\r\n--"
                .getBytes(StandardCharsets.ISO_8859_1);
        for (String type : List.of("multipart/form-data; boundary=x", "multipart/form-data", "multipart/mixed",
                "multipart/form-data; boundary=")) {
            RawHttp.Response response = RawHttp.send(port, "POST", triggerPath, List.of("Content-Type: " + type),
                    multipart);
            assertThat(response.status()).as("POST multipart " + type).isBetween(400, 499);
        }
        RawHttp.Response form = RawHttp.send(port, "POST", triggerPath,
                List.of("Content-Type: application/x-www-form-urlencoded"), "value=%zz".getBytes(StandardCharsets.UTF_8));
        assertThat(form.status()).isBetween(400, 499);
    }

    @Test
    void aWildcardContentTypeIsAClientError() {
        byte[] body = "{\"name\":\"x\",\"type\":\"switch\"}".getBytes(StandardCharsets.UTF_8);
        for (String path : List.of("/api/v1/devices", "/api/v1/auth/login", triggerPath, "/oauth2/token", "/login")) {
            RawHttp.Response response = RawHttp.send(port, "POST", path,
                    List.of("Content-Type: */*", "Authorization: Bearer " + user.apiKey()), body);
            assertThat(response.status()).as("POST " + path).isBetween(400, 499);
        }
    }

    @Test
    void apiErrorsAreProblemDetails() {
        List<String[]> cases = List.of(
                new String[] {"POST", "/api/v1/devices", "Content-Type: */*", "{}"},
                new String[] {"POST", "/api/v1/devices", "Content-Type: application/json", "{\"name\":"},
                new String[] {"POST", "/api/v1/devices", "Content-Type: multipart/form-data", "--x"},
                new String[] {"GET", "/api/v1/devices/not-a-uuid", "Accept: application/json", null},
                new String[] {"GET", "/api/v1/devices?limit=99999999999999999999999", "Accept: */*", null},
                new String[] {"PROPFIND", "/api/v1/devices", "Accept: */*", null},
                new String[] {"GET", "/api/v1/no-such-thing", "Accept: */*", null},
                // refused by Jetty itself (an ambiguous path separator), for a method its own handler gives no body
                new String[] {"DELETE", "/api/v1/devices/..%2f..%2factuator", "Accept: application/json", null},
                new String[] {"PATCH", "/api/v1/devices/%zz", "Content-Type: application/json", "{}"});
        for (String[] c : cases) {
            List<String> headers = List.of(c[2], "Authorization: Bearer " + user.apiKey());
            RawHttp.Response response = RawHttp.send(port, c[0], c[1], headers,
                    c[3] == null ? null : c[3].getBytes(StandardCharsets.UTF_8));
            assertThat(response.status()).as(c[0] + " " + c[1]).isBetween(400, 499);
            assertThat(response.header("Content-Type")).as(c[0] + " " + c[1]).startsWith("application/problem+json");
            assertThat(response.body()).as(c[0] + " " + c[1]).contains("\"status\":" + response.status());
        }
        // refused by Jetty before any application code (answered by JettyServer.ProblemErrorHandler)
        assertThat(RawHttp.send(port, "GET", "/api/v1/devices/%zz", List.of(), null).status()).isEqualTo(400);
    }

    /** A fixed-seed sample over surfaces × methods × bodies × content types × credentials × junk headers. */
    @Test
    void aFuzzOfEverySurfaceNeverGetsA5xx() {
        Random random = new Random(SEED);
        List<String> paths = paths();
        List<String> offenders = new ArrayList<>();
        List<String> shapeless = new ArrayList<>();
        List<String> unanswered = new ArrayList<>();
        int sent = 0;
        for (int i = 0; i < RANDOM_REQUESTS; i++) {
            String method = pick(random, METHODS);
            String path = pick(random, paths);
            List<String> headers = new ArrayList<>();
            String credential = pick(random, credentials());
            if (!credential.isEmpty()) {
                headers.add(credential);
            }
            if (random.nextInt(3) == 0) {
                headers.add(pick(random, JUNK_HEADERS));
            }
            byte[] body = null;
            if (random.nextInt(4) != 0) {
                String contentType = pick(random, CONTENT_TYPES);
                if (!contentType.isEmpty()) {
                    headers.add("Content-Type: " + contentType);
                }
                body = pick(random, bodies());
            }
            String accept = pick(random, ACCEPTS);
            headers.add("Accept: " + accept);
            String request = method + " " + path + " " + headers + " body="
                    + (body == null ? "none" : abbreviate(new String(body, StandardCharsets.UTF_8)));
            sent++;
            RawHttp.Response response;
            try {
                response = RawHttp.send(port, method, path, headers, body);
            } catch (UncheckedIOException e) {
                // no answer at all (reset, closed, timed out) is a finding like a 5xx: listed with the rest
                unanswered.add(e.getMessage() + " <- " + request);
                continue;
            }
            // an answer carrying a run of another request's body: bytes crossed connections (docs/decisions.md,
            // "Jetty's buffer pool, off")
            String own = body == null ? "" : new String(body, StandardCharsets.ISO_8859_1);
            for (String run : FOREIGN_RUNS) {
                if (response.body().contains(run) && !own.contains(run)) {
                    unanswered.add("a run of another request's body (" + run + ") in the answer <- " + request);
                }
            }
            if (response.status() >= 500) {
                offenders.add(response.status() + " <- " + request);
            }
            // /api errors are problem details for a client that accepts them, also those Jetty refuses itself
            // (a HEAD answer has no body to carry one)
            boolean acceptsProblems = Set.of("*/*", "application/json", "application/problem+json").contains(accept);
            if (path.startsWith("/api/") && !method.equals("HEAD") && acceptsProblems && response.status() >= 400
                    && !String.valueOf(response.header("Content-Type")).startsWith("application/problem+json")) {
                shapeless.add(response.status() + " " + response.header("Content-Type") + " <- " + request);
            }
        }
        assertThat(sent).isEqualTo(RANDOM_REQUESTS);
        assertThat(unanswered).as("%d of %d requests got no clean answer:%n%s", unanswered.size(), sent,
                String.join("\n", unanswered)).isEmpty();
        assertThat(offenders).as("%d of %d requests answered 5xx:%n%s", offenders.size(), sent,
                String.join("\n", offenders)).isEmpty();
        assertThat(shapeless).as("%d /api errors without problem details:%n%s", shapeless.size(),
                String.join("\n", shapeless)).isEmpty();
    }

    private List<String> paths() {
        String device = "/api/v1/devices/" + deviceId;
        return List.of("/", "/login", "/signup", "/verify-email?token=%zz", "/reset-password", "/invitation?token=x",
                "/error", "/favicon.ico", "/css/app.css", "/nope", "/v3/api-docs", "/swagger-ui.html",
                "/actuator/health", "/actuator/health/readiness", "/actuator/info", "/actuator/prometheus",
                "/actuator/env", "/api/v1/device-types", "/api/v1/devices", device, device + "/properties",
                device + "/press", device + "/triggers", device + "/triggers/" + deviceId, "/api/v1/devices/not-a-uuid",
                "/api/v1/devices/%zz", "/api/v1/devices?limit=-1&cursor=%%%", "/api/v1/devices?limit=1e999",
                "/api/v1/events/stream?after=abc", "/api/v1/activity?cursor=!!!", "/api/v1/webhooks",
                "/api/v1/webhooks/" + deviceId + "/deliveries", "/api/v1/api-keys", "/api/v1/account",
                "/api/v1/account/connected-apps", "/api/v1/team/members", "/api/v1/team/invitations",
                "/api/v1/auth/signup", "/api/v1/auth/login", "/api/v1/auth/csrf", "/api/v1/auth/password-reset",
                "/api/v1/auth/verify-email", "/oauth2/authorize?response_type=code&client_id=web&scope=%zz",
                "/oauth2/authorize", "/oauth2/token", "/oauth2/revoke", "/oauth2/introspect", "/oauth2/consent",
                "/.well-known/oauth-authorization-server", triggerPath, triggerPath + "?property=power&value=%zz",
                triggerPath + "?property=%FF&value=%C0%AF", "/t/%zz", "/t/vdt_%00", "/t/" + "x".repeat(300),
                "//api/v1//devices", "/api/v1/devices/..%2f..%2factuator", "/api/v1/devices;jsessionid=1",
                "/%2e%2e/%2e%2e/etc/passwd", "/logout");
    }

    private List<String> credentials() {
        return List.of("", "", "Authorization: Bearer " + user.apiKey(), "Cookie: " + sessionCookie,
                "Cookie: VDSESSION=AAAA", "Cookie: VDSESSION=%%%; XSRF-TOKEN=\"", "Authorization: Bearer ",
                "Authorization: Bearer vdk_" + "A".repeat(400), "Authorization: Basic !!!notbase64",
                "Authorization: Basic " + java.util.Base64.getEncoder().encodeToString("web:x".getBytes()),
                "Authorization: Bearer \u00ff\u00fe", "Cookie: " + sessionCookie + "; VDSESSION=AAAA");
    }

    /** Runs of the large fuzz bodies that no answer makes up by itself. */
    private static final List<String> FOREIGN_RUNS = List.of("[".repeat(32), "]".repeat(32), "{\"a\":".repeat(8),
            "}".repeat(32), "0".repeat(64));

    private static final List<String> METHODS = List.of("GET", "GET", "POST", "POST", "PUT", "PATCH", "DELETE", "HEAD",
            "OPTIONS", "TRACE", "PROPFIND", "FOO");

    private static final List<String> CONTENT_TYPES = List.of("application/json", "application/json",
            "application/json; charset=ebcdic", "*/*", "application/*", "multipart/form-data; boundary=x",
            "multipart/form-data", "multipart/mixed; boundary=", "application/x-www-form-urlencoded", "text/plain",
            "application/xml", "a/b/c;;;", ";", "application/merge-patch+json", "application/problem+json", "");

    private static final List<String> ACCEPTS = List.of("*/*", "application/json", "text/html", "text/event-stream",
            "application/xml", "application/x-nonsense", "*/*;q=abc", ";;", "application/problem+json");

    private static final List<String> JUNK_HEADERS = List.of("X-Forwarded-For: not-an-ip", "X-Forwarded-For: 1.2.3.4, ::1, x",
            "X-Request-Id: " + "\u00e9".repeat(300), "Last-Event-ID: abc", "Last-Event-ID: -1", "Origin: null",
            "If-Modified-Since: yesterday", "Range: bytes=abc", "Accept-Language: ;;;q=x", "Accept-Charset: x-nonsense",
            "Accept-Encoding: gzip;q=nan", "Purpose: prefetch", "User-Agent: Slackbot-LinkExpanding 1.0",
            "X-XSRF-TOKEN: \u00ff", "Expect: 100-continue", "Content-Encoding: gzip", "If-None-Match: \"x",
            "Forwarded: for=\"[::1", "X-Forwarded-Proto: gopher", "X-Forwarded-Host: a b c");

    private static List<byte[]> bodies() {
        List<byte[]> bodies = new ArrayList<>();
        for (String json : List.of("{}", "[]", "null", "\"text\"", "{\"name\":", "{\"name\":\"a\",\"name\":\"b\",\"type\":\"switch\"}",
                "[".repeat(5_000) + "]".repeat(5_000), "{\"a\":".repeat(2_000) + "1" + "}".repeat(2_000),
                "{\"name\":\"x\",\"type\":\"switch\",\"limit\":1" + "0".repeat(5_000) + "}", "{\"value\":1e999999}",
                "{\"value\":-1e-999999,\"property\":\"brightness\"}", "{\"name\":123,\"type\":[true]}",
                "{\"properties\":{\"power\":{\"value\":\"x\"}}}", "{\"scopes\":\"read\",\"expiresInDays\":\"soon\"}",
                "{\"url\":\"http://[::1\",\"events\":{}}", "{\"email\":{},\"password\":[]}", "\u0000\u0001",
                "property=power&value=%zz", "property=%FF&value=%E0%A4%A", "a=1&a=2&&=&%=", "grant_type=%zz&code=%",
                "--x\r\nContent-Disposition: form-data; name=\"value\"\r\n\r\n1\r\n--",
                "--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\r\n\r\n\r\n--x--", "--x--", "")) {
            bodies.add(json.getBytes(StandardCharsets.UTF_8));
        }
        bodies.add(new byte[] {'{', '"', 'n', 'a', 'm', 'e', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'});
        bodies.add(new byte[] {(byte) 0xFF, (byte) 0xFE, '{', 0, '}', 0});
        bodies.add(new byte[] {'{', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', ':', '1', '}'});
        return bodies;
    }

    private static <T> T pick(Random random, List<T> items) {
        return items.get(random.nextInt(items.size()));
    }

    private static String abbreviate(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "…(" + s.length() + ")" : s;
    }
}
