package io.virtdevice.ifttt;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.oauth.OAuthFlow;
import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TenantSql;
import io.virtdevice.testing.fakes.FakeIftttRealtime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * What the IFTTT test classes share: the app with IFTTT's service key configured and its realtime
 * notifications going to a {@link FakeIftttRealtime} (one Spring context for all of them), users linked
 * through the real authorization-code flow of the {@code ifttt-service} client, and IFTTT-style calls.
 */
@IntegrationTest
abstract class IftttTestSupport {

    static final String SERVICE_KEY = "test-ifttt-service-key-0123456789abcdef";
    static final FakeIftttRealtime REALTIME = new FakeIftttRealtime(SERVICE_KEY);

    @DynamicPropertySource
    static void ifttt(DynamicPropertyRegistry registry) {
        registry.add("virtdevice.ifttt.service-key", () -> SERVICE_KEY);
        registry.add("virtdevice.ifttt.realtime-url", REALTIME::url);
        registry.add("virtdevice.ifttt.realtime-debounce", () -> "200ms");
        registry.add("virtdevice.ifttt.realtime-poll-interval", () -> "100ms");
        registry.add("virtdevice.ifttt.realtime-retry-delays", () -> "300ms,500ms");
        // each user's fair share: a burst of 2000 identities, then one every 300 ms (IftttRealtimeTests)
        registry.add("virtdevice.ifttt.realtime-fair-share.user-rate.limit", () -> "2000");
        registry.add("virtdevice.ifttt.realtime-fair-share.user-rate.window", () -> "10m");
    }

    @LocalServerPort
    int port;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher passwordHasher;

    @Autowired
    org.springframework.context.ApplicationContext context;

    /** SQL as the database superuser (no RLS): for checks across tenants. */
    org.springframework.jdbc.core.simple.JdbcClient superuser() {
        return io.virtdevice.testing.TestDatabase.of(context).superuser();
    }

    /** A user of a new tenant (room for 10 devices), linked to IFTTT through the browser flow. */
    record Linked(Fixtures.TestUser user, Api rest, Api ifttt, String accessToken, String refreshToken) {}

    Fixtures fixtures() {
        return new Fixtures(dataSource, passwordHasher);
    }

    TenantSql sql() {
        return new TenantSql(dataSource);
    }

    Linked linked() {
        Fixtures.TestUser user = fixtures().owner(10);
        OAuthFlow.Tokens tokens = new OAuthFlow(port).link(OAuthFlow.IFTTT, "ifttt", user.email());
        return new Linked(user, new Api(port).bearer(user.apiKey()), new Api(port).bearer(tokens.accessToken()),
                tokens.accessToken(), tokens.refreshToken());
    }

    /** Creates a device over the REST API; returns {id, iftttDeviceId}. */
    static String[] device(Api rest, String name, String type) {
        Api.Response response = rest.post("/api/v1/devices", Map.of("name", name, "type", type));
        assertThat(response.status()).as(response.toString()).isEqualTo(201);
        return new String[] {response.json().path("id").asString(), response.json().path("iftttDeviceId").asString()};
    }

    static void set(Api rest, String deviceId, Map<String, Object> properties) {
        Api.Response response = rest.put("/api/v1/devices/" + deviceId + "/properties", properties);
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
    }

    static Map<String, Object> body(String wrapper, Map<String, ?> fields, Object... more) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put(wrapper, fields);
        for (int i = 0; i + 1 < more.length; i += 2) {
            body.put((String) more[i], more[i + 1]);
        }
        body.put("user", Map.of("timezone", "Pacific Time (US & Canada)"));
        body.put("ifttt_source", Map.of("id", "2", "url", "https://ifttt.com/myrecipes/personal/2"));
        return body;
    }

    static Api.Response poll(Api ifttt, String trigger, Map<String, ?> fields, Object... more) {
        return ifttt.post("/ifttt/v1/triggers/" + trigger, body("triggerFields", fields, more));
    }

    static List<JsonNode> items(Api.Response response) {
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        assertThat(response.header("Content-Type")).isEqualToIgnoringCase("application/json;charset=utf-8");
        List<JsonNode> items = new java.util.ArrayList<>();
        response.json().path("data").forEach(items::add);
        return items;
    }

    static Api.Response act(Api ifttt, String action, Map<String, ?> fields) {
        return ifttt.post("/ifttt/v1/actions/" + action, body("actionFields", fields));
    }

    /** Asserts IFTTT's error shape and returns the (first) message. */
    static String error(Api.Response response, int status) {
        assertThat(response.status()).as(response.toString()).isEqualTo(status);
        JsonNode errors = response.json().path("errors");
        assertThat(errors.isArray() && !errors.isEmpty()).as(response.toString()).isTrue();
        assertThat(errors.get(0).path("message").asString()).isNotBlank();
        return errors.get(0).path("message").asString();
    }

    /** Asserts a SKIP answer. */
    static void skipped(Api.Response response) {
        error(response, 400);
        assertThat(response.json().path("errors").get(0).path("status").asString()).as(response.toString())
                .isEqualTo("SKIP");
    }

    static Map<String, String> serviceKey() {
        return Map.of("IFTTT-Service-Key", SERVICE_KEY);
    }

    static String identity() {
        return UUID.randomUUID().toString().replace("-", "").substring(0, 17);
    }
}
