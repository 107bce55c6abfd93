package io.virtdevice.oauth;

import static io.virtdevice.oauth.OAuthFlow.ALEXA;
import static io.virtdevice.oauth.OAuthFlow.IFTTT;
import static io.virtdevice.oauth.OAuthFlow.MOBILE;
import static io.virtdevice.oauth.OAuthFlow.WEB;
import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.SurfaceProbe;
import io.virtdevice.testing.TestDatabase;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import tools.jackson.databind.JsonNode;

/**
 * Each credential works only on its own surface (issue 9, §2). The matrix: every kind of credential (API
 * key, the web, mobile, Alexa and IFTTT apps' OAuth tokens, a browser session, a URL-trigger token, none)
 * against every surface (the REST API, the Alexa endpoints, IFTTT's service API, trigger links, the OAuth
 * server's revocation endpoint, the metrics scrape). The Alexa and IFTTT controllers are not built yet: their
 * surfaces are probed through {@link SurfaceProbe}, which answers what the security layer lets through.
 */
@IntegrationTest
class CredentialSurfaceTests {

    @LocalServerPort
    int port;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    @Autowired
    ApplicationContext context;

    OAuthFlow flow;
    Fixtures.TestUser user;
    /** kind -> a client that presents that credential. */
    Map<String, Api> credentials;
    /** kind -> the bearer secret (every kind but the session and none). */
    Map<String, String> secrets;
    String triggerToken;

    @BeforeEach
    void setUp() {
        flow = new OAuthFlow(port);
        user = new Fixtures(dataSource, hasher).owner();
        credentials = new LinkedHashMap<>();
        secrets = new LinkedHashMap<>();
        secrets.put("api key", user.apiKey());
        secrets.put("web token", flow.link(WEB, "read write", user.email()).accessToken());
        secrets.put("mobile token", flow.link(MOBILE, "read", user.email()).accessToken());
        secrets.put("alexa token", flow.link(ALEXA, "read write", user.email()).accessToken());
        secrets.put("ifttt token", flow.link(IFTTT, "ifttt", user.email()).accessToken());
        secrets.forEach((kind, secret) -> credentials.put(kind, new Api(port).bearer(secret)));
        Api session = new Api(port).withCsrf();
        assertThat(session.post("/api/v1/auth/login", Map.of("email", user.email(), "password", Fixtures.PASSWORD))
                .status()).isEqualTo(200);
        credentials.put("session", session);
        Api owner = new Api(port).bearer(user.apiKey());
        String device = owner.post("/api/v1/devices", Map.of("name", "Lamp", "type", "switch")).json().path("id")
                .asString();
        String url = owner.post("/api/v1/devices/" + device + "/triggers", Map.of("name", "shortcut")).json()
                .path("url").asString();
        triggerToken = url.substring(url.indexOf("/t/") + 3);
        secrets.put("trigger token", triggerToken);
        credentials.put("trigger token", new Api(port).bearer(triggerToken));
        credentials.put("none", new Api(port));
    }

    private Map<String, Integer> statuses(Function<Api, Api.Response> request) {
        Map<String, Integer> statuses = new LinkedHashMap<>();
        credentials.forEach((kind, api) -> statuses.put(kind, request.apply(api).status()));
        return statuses;
    }

    private static Map<String, Integer> expect(int allowed, List<String> kinds, int otherwise) {
        Map<String, Integer> expected = new LinkedHashMap<>();
        for (String kind : List.of("api key", "web token", "mobile token", "alexa token", "ifttt token", "session",
                "trigger token", "none")) {
            expected.put(kind, kinds.contains(kind) ? allowed : otherwise);
        }
        return expected;
    }

    @Test
    void theRestApiTakesApiKeysSessionsAndTheWebAndMobileAppsTokensOnly() {
        assertThat(statuses(api -> api.get("/api/v1/devices")))
                .containsExactlyEntriesOf(expect(200, List.of("api key", "web token", "mobile token", "session"), 401));

        Api.Response alexa = credentials.get("alexa token").get("/api/v1/devices");
        assertThat(alexa.header("Content-Type")).startsWith("application/problem+json");
        assertThat(alexa.json().path("status").asInt()).isEqualTo(401);
        // the Alexa token cannot write either (e.g. a webhook copying every change elsewhere)
        assertThat(credentials.get("alexa token").post("/api/v1/webhooks", Map.of("url", "https://example.test/x"))
                .status()).isEqualTo(401);
        assertThat(credentials.get("ifttt token").post("/api/v1/devices", Map.of("name", "X", "type", "switch"))
                .status()).isEqualTo(401);
        // scopes still hold where the credential belongs: the mobile app may only read
        Api.Response readOnly = credentials.get("mobile token").post("/api/v1/devices", Map.of("name", "X", "type", "switch"));
        assertThat(readOnly.status()).isEqualTo(403);
        assertThat(readOnly.header("Content-Type")).startsWith("application/problem+json");
    }

    @Test
    void theAlexaEndpointsTakeAlexasTokensOnlyAndAnswerInAlexasErrorShape() {
        assertThat(statuses(api -> api.get(SurfaceProbe.ALEXA)))
                .containsExactlyEntriesOf(expect(200, List.of("alexa token"), 401));
        // the directive endpoint reads the token itself (in the directive or the header) and answers every
        // refusal as an Alexa.ErrorResponse with 200, the shape the skill's Lambda hands to Alexa unchanged
        Map<String, Object> discover = Map.of("directive", Map.of("header", Map.of("namespace", "Alexa.Discovery",
                "name", "Discover", "payloadVersion", "3", "messageId", "probe-1"), "payload", Map.of()));
        credentials.forEach((kind, api) -> {
            Api.Response response = api.post("/alexa/v3/directives", discover);
            assertThat(response.status()).as(kind).isEqualTo(200);
            JsonNode event = response.json().path("event");
            if (kind.equals("alexa token")) {
                assertThat(event.path("header").path("name").asString()).isEqualTo("Discover.Response");
            } else {
                assertThat(event.path("header").path("name").asString()).as(kind).isEqualTo("ErrorResponse");
                assertThat(event.path("payload").path("type").asString()).as(kind)
                        .isEqualTo("INVALID_AUTHORIZATION_CREDENTIAL");
            }
        });

        JsonNode who = credentials.get("alexa token").get(SurfaceProbe.ALEXA).json();
        assertThat(who.path("surface").asString()).isEqualTo("ALEXA");
        assertThat(who.path("clientId").asString()).isEqualTo(ALEXA);
        assertThat(who.path("method").asString()).isEqualTo("OAUTH");
        assertThat(who.path("userId").asString()).isEqualTo(user.userId().toString());
        assertThat(who.path("grantId").asString()).isNotBlank();

        JsonNode refused = credentials.get("web token").get(SurfaceProbe.ALEXA).json();
        assertThat(refused.path("event").path("header").path("namespace").asString()).isEqualTo("Alexa");
        assertThat(refused.path("event").path("header").path("name").asString()).isEqualTo("ErrorResponse");
        assertThat(refused.path("event").path("header").path("payloadVersion").asString()).isEqualTo("3");
        assertThat(refused.path("event").path("header").path("messageId").asString()).matches("[a-zA-Z0-9-]{1,127}");
        assertThat(refused.path("event").path("payload").path("type").asString())
                .isEqualTo("INVALID_AUTHORIZATION_CREDENTIAL");
        assertThat(refused.path("event").path("payload").path("message").asString()).isNotBlank();
    }

    @Test
    void tellsAlexaAnExpiredTokenFromAnInvalidOne() {
        String token = flow.link(ALEXA, "read", new Fixtures(dataSource, hasher).owner().email()).accessToken();
        TestDatabase.of(context).superuser().sql("""
                        update oauth_tokens set access_token_expires_at = now() - interval '1 second'
                         where access_token_hash = sha256(convert_to(:t, 'UTF8'))
                        """).param("t", token).update();

        Api.Response response = new Api(port).bearer(token).get(SurfaceProbe.ALEXA);

        assertThat(response.status()).isEqualTo(401);
        assertThat(response.json().path("event").path("payload").path("type").asString())
                .isEqualTo("EXPIRED_AUTHORIZATION_CREDENTIAL");
    }

    @Test
    void iftttsServiceApiTakesIftttsTokensOnlyAndAnswersInIftttsErrorShape() {
        assertThat(statuses(api -> api.get(SurfaceProbe.IFTTT)))
                .containsExactlyEntriesOf(expect(200, List.of("ifttt token"), 401));
        assertThat(statuses(api -> api.post("/ifttt/v1/actions/turn_on", Map.of("actionFields", Map.of()))))
                .allSatisfy((kind, status) -> assertThat(status).as(kind).isEqualTo(kind.equals("ifttt token") ? 404 : 401));

        JsonNode who = credentials.get("ifttt token").get(SurfaceProbe.IFTTT).json();
        assertThat(who.path("surface").asString()).isEqualTo("IFTTT");
        assertThat(who.path("clientId").asString()).isEqualTo(IFTTT);

        Api.Response refused = credentials.get("api key").get(SurfaceProbe.IFTTT);
        assertThat(refused.header("Content-Type")).startsWith("application/json");
        assertThat(refused.json().path("errors").get(0).path("message").asString()).isEqualTo("Invalid access token");
        // the service-key endpoints are left to their controller (IFTTT-Service-Key, not a bearer token),
        // which refuses a missing key itself (IftttServiceTests covers the key)
        Api.Response status = new Api(port).get("/ifttt/v1/status");
        assertThat(status.status()).isEqualTo(401);
        assertThat(status.json().path("errors").get(0).path("message").asString()).isEqualTo("Invalid service key");
    }

    @Test
    void aTriggerTokenWorksOnlyInItsOwnLink() {
        assertThat(new Api(port).get("/t/" + triggerToken).status()).isEqualTo(200);
        // no other secret opens a link; no header credential does either
        for (String other : secrets.values()) {
            if (!other.equals(triggerToken)) {
                assertThat(new Api(port).get("/t/" + other).status()).isEqualTo(404);
            }
        }
        credentials.forEach((kind, api) ->
                assertThat(api.get("/t/vdt_" + "A".repeat(43)).status()).as(kind).isEqualTo(404));
    }

    @Test
    void theOAuthServerAndTheMetricsScrapeTakeNoneOfThem() {
        // the revocation endpoint wants client credentials: a bearer token or a session is none
        assertThat(statuses(api -> api.send("POST", "/oauth2/revoke", "token=x",
                        Map.of("Content-Type", "application/x-www-form-urlencoded"))))
                .allSatisfy((kind, status) -> assertThat(status).as(kind).isIn(400, 401));
        assertThat(statuses(api -> api.send("GET", "/actuator/prometheus", null, Map.of("Accept", "text/plain"))))
                .containsExactlyEntriesOf(expect(401, List.of(), 401));
        // pages are for sessions: a bearer credential does not sign anybody in
        Map<String, String> html = Map.of("Accept", "text/html");
        assertThat(credentials.get("session").send("GET", "/", null, html).body()).contains("Signed in as");
        for (String kind : List.of("api key", "web token", "alexa token", "ifttt token")) {
            assertThat(credentials.get(kind).send("GET", "/", null, html).body()).as(kind).doesNotContain("Signed in as");
        }
    }
}
