package io.virtdevice.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TenantSql;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

@IntegrationTest
class WebhookApiTests {

    private static final String URL = "https://hooks.example.com/virtdevice?token=abc";

    @LocalServerPort
    int port;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    Fixtures.TestUser user;
    Api api;

    @BeforeEach
    void setUp() {
        user = new Fixtures(dataSource, hasher).owner();
        api = new Api(port).bearer(user.apiKey());
    }

    @Test
    void createsAWebhookAndShowsItsSecretOnlyOnce() {
        Api.Response created = api.post("/api/v1/webhooks", Map.of("url", URL,
                "events", List.of("property.changed", "doorbell.pressed"), "headers", Map.of("X-Token", "t0k3n")));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        assertThat(created.header("Cache-Control")).contains("no-store");
        JsonNode body = created.json();
        String id = body.path("id").asString();
        assertThat(created.header("Location")).isEqualTo("/api/v1/webhooks/" + id);
        assertThat(body.path("secret").asString()).matches("whsec_[A-Za-z0-9+/]{43}=");
        assertThat(body.path("url").asString()).isEqualTo(URL);
        assertThat(body.path("events")).extracting(JsonNode::asString)
                .containsExactly("property.changed", "doorbell.pressed");
        assertThat(body.path("headers").path("X-Token").asString()).isEqualTo("t0k3n");
        assertThat(body.path("enabled").asBoolean()).isTrue();
        assertThat(body.path("deviceId").isNull()).isTrue();

        JsonNode fetched = api.get("/api/v1/webhooks/" + id).json();
        assertThat(fetched.has("secret")).isFalse();
        assertThat(fetched.path("url").asString()).isEqualTo(URL);
        assertThat(api.get("/api/v1/webhooks").json().path("items")).hasSize(1);
        assertThat(api.get("/api/v1/webhooks").body()).doesNotContain(body.path("secret").asString());

        // stored sealed, never in clear
        String secret = body.path("secret").asString();
        byte[] stored = new TenantSql(dataSource).as(user, jdbc -> jdbc
                .sql("select secret_enc from webhooks where id = :id").param("id", UUID.fromString(id))
                .query(byte[].class).single());
        assertThat(new String(stored, java.nio.charset.StandardCharsets.ISO_8859_1))
                .doesNotContain(secret.substring(6, 20));
        assertThat(activity()).contains("webhook_created");
    }

    @Test
    void subscribesToEveryEventTypeByDefault() {
        JsonNode body = api.post("/api/v1/webhooks", Map.of("url", URL)).json();
        assertThat(body.path("events")).extracting(JsonNode::asString).containsExactly("device.created",
                "device.updated", "device.deleted", "property.changed", "doorbell.pressed");
    }

    @Test
    void updatesDisablesReenablesAndDeletes() {
        String id = create(Map.of("url", URL));
        String device = api.post("/api/v1/devices", Map.of("name", "Bell", "type", "doorbell")).json().path("id")
                .asString();
        Map<String, Object> patch = new HashMap<>();
        patch.put("url", "https://other.example.com/in");
        patch.put("deviceId", device);
        patch.put("events", List.of("doorbell.pressed"));
        patch.put("headers", Map.of("X-Env", "prod"));
        patch.put("enabled", false);
        Api.Response updated = api.patch("/api/v1/webhooks/" + id, patch);
        assertThat(updated.status()).as(updated.body()).isEqualTo(200);
        JsonNode body = updated.json();
        assertThat(body.path("url").asString()).isEqualTo("https://other.example.com/in");
        assertThat(body.path("deviceId").asString()).isEqualTo(device);
        assertThat(body.path("events")).extracting(JsonNode::asString).containsExactly("doorbell.pressed");
        assertThat(body.path("headers").path("X-Env").asString()).isEqualTo("prod");
        assertThat(body.path("enabled").asBoolean()).isFalse();
        assertThat(body.path("disabledReason").asString()).isEqualTo("user");

        Map<String, Object> reenable = new HashMap<>();
        reenable.put("enabled", true);
        reenable.put("deviceId", null);
        JsonNode enabled = api.patch("/api/v1/webhooks/" + id, reenable).json();
        assertThat(enabled.path("enabled").asBoolean()).isTrue();
        assertThat(enabled.path("disabledReason").isNull()).isTrue();
        assertThat(enabled.path("deviceId").isNull()).isTrue();
        assertThat(enabled.path("url").asString()).isEqualTo("https://other.example.com/in");

        assertThat(api.delete("/api/v1/webhooks/" + id).status()).isEqualTo(204);
        assertThat(api.get("/api/v1/webhooks/" + id).status()).isEqualTo(404);
        assertThat(api.delete("/api/v1/webhooks/" + id).status()).isEqualTo(404);
        assertThat(activity()).contains("webhook_updated", "webhook_deleted");
    }

    @Test
    void anotherUsersWebhooksAndDevicesAreNotFound() {
        Fixtures.TestUser other = new Fixtures(dataSource, hasher).owner();
        Api theirs = new Api(port).bearer(other.apiKey());
        String theirDevice = theirs.post("/api/v1/devices", Map.of("name", "Theirs", "type", "switch")).json()
                .path("id").asString();
        String theirWebhook = theirs.post("/api/v1/webhooks", Map.of("url", URL)).json().path("id").asString();

        Api.Response pointing = api.post("/api/v1/webhooks", Map.of("url", URL, "deviceId", theirDevice));
        assertThat(pointing.status()).isEqualTo(404);
        assertThat(pointing.json().path("detail").asString()).isEqualTo("Device was not found.");
        String mine = create(Map.of("url", URL));
        assertThat(api.patch("/api/v1/webhooks/" + mine, Map.of("deviceId", theirDevice)).status()).isEqualTo(404);
        assertThat(api.post("/api/v1/webhooks", Map.of("url", URL, "deviceId", UUID.randomUUID().toString()))
                .status()).isEqualTo(404);

        assertThat(api.get("/api/v1/webhooks/" + theirWebhook).status()).isEqualTo(404);
        assertThat(api.patch("/api/v1/webhooks/" + theirWebhook, Map.of("url", URL)).status()).isEqualTo(404);
        assertThat(api.delete("/api/v1/webhooks/" + theirWebhook).status()).isEqualTo(404);
        assertThat(api.post("/api/v1/webhooks/" + theirWebhook + "/rotate-secret", null).status()).isEqualTo(404);
        assertThat(api.get("/api/v1/webhooks").json().path("items")).hasSize(1);
        assertThat(theirs.get("/api/v1/webhooks/" + theirWebhook).status()).isEqualTo(200);
    }

    @Test
    void refusesForbiddenOrMalformedCustomHeaders() {
        for (Map<String, Object> headers : List.<Map<String, Object>>of(
                Map.of("Host", "evil.example.com"),
                Map.of("Authorization", "Bearer x"),
                Map.of("Content-Type", "text/plain"),
                Map.of("Content-Length", "1"),
                Map.of("Transfer-Encoding", "chunked"),
                Map.of("webhook-signature", "v1,forged"),
                Map.of("webhook-id", "msg_1"),
                Map.of("X-Evil\r\nHost", "x"),
                Map.of("X-Evil", "a\r\nHost: evil"),
                Map.of("X-Evil", "a\nb"),
                Map.of("X-Nul", "a\u0000b"),
                Map.of("X-Unicode", "caf\u00e9"),
                Map.of("X-", "empty name"),
                Map.of("X-Sp ace", "x"),
                Map.of("X-Colon:", "x"),
                Map.of("X-Big", "a".repeat(1025)),
                Map.of("X-Number", 5),
                Map.of("X-Object", Map.of("a", 1)))) {
            Api.Response response = api.post("/api/v1/webhooks", Map.of("url", URL, "headers", headers));
            assertThat(response.status()).as(headers.keySet() + " " + response.body()).isEqualTo(400);
            assertThat(response.json().path("errors").get(0).path("field").asString()).isEqualTo("headers");
        }
        Map<String, Object> eleven = new LinkedHashMap<>();
        for (int i = 0; i < 11; i++) {
            eleven.put("X-H" + i, "v");
        }
        assertThat(api.post("/api/v1/webhooks", Map.of("url", URL, "headers", eleven)).status()).isEqualTo(400);
        assertThat(api.post("/api/v1/webhooks", "{\"url\":\"" + URL + "\",\"headers\":{\"X-A\":\"1\",\"x-a\":\"2\"}}")
                .status()).isEqualTo(400);
        assertThat(api.post("/api/v1/webhooks", Map.of("url", URL, "headers", List.of("X-A"))).status()).isEqualTo(400);

        Map<String, Object> ten = new LinkedHashMap<>();
        for (int i = 0; i < 10; i++) {
            ten.put("X-Header-" + i, "v".repeat(1024));
        }
        assertThat(api.post("/api/v1/webhooks", Map.of("url", URL, "headers", ten)).status()).isEqualTo(201);
        assertThat(api.get("/api/v1/webhooks").json().path("items")).hasSize(1);
    }

    @Test
    void refusesUnsafeOrInvalidUrls() {
        // (127.0.0.1 itself is on the tests' allow-list)
        for (String url : List.of("http://example.com/hook", "https://127.0.0.2/", "https://10.0.0.1/",
                "https://169.254.169.254/latest/meta-data/", "https://[::1]/", "https://[::ffff:127.0.0.2]/",
                "https://[::ffff:a9fe:a9fe]/", "https://2130706434/", "https://0x7f000002/", "https://user:pass@example.com/", "ftp://example.com/",
                "https://example.com/#x", "not a url", "https://" + "a".repeat(2050) + ".com/")) {
            Api.Response response = api.post("/api/v1/webhooks", Map.of("url", url));
            assertThat(response.status()).as(url + " " + response.body()).isEqualTo(400);
            assertThat(response.json().path("errors").get(0).path("field").asString()).isEqualTo("url");
        }
        Api.Response missing = api.post("/api/v1/webhooks", Map.of("events", List.of("device.created")));
        assertThat(missing.status()).isEqualTo(400);
        // the tests' allow-list opens 127.0.0.1 (and plain http to it), nothing else
        assertThat(api.post("/api/v1/webhooks", Map.of("url", "http://127.0.0.1:9/hook")).status()).isEqualTo(201);
        assertThat(api.post("/api/v1/webhooks", Map.of("url", "http://127.0.0.2:9/hook")).status()).isEqualTo(400);
        String id = api.get("/api/v1/webhooks").json().path("items").get(0).path("id").asString();
        assertThat(api.patch("/api/v1/webhooks/" + id, Map.of("url", "https://192.168.0.1/")).status()).isEqualTo(400);
        assertThat(api.patch("/api/v1/webhooks/" + id, Map.of("url", 5)).status()).isEqualTo(400);
    }

    @Test
    void refusesUnknownEventTypesFieldsAndMalformedBodies() {
        assertThat(api.post("/api/v1/webhooks", Map.of("url", URL, "events", List.of("device.exploded"))).status())
                .isEqualTo(400);
        assertThat(api.post("/api/v1/webhooks", Map.of("url", URL, "events", List.of("webhook.test"))).status())
                .isEqualTo(400);
        assertThat(api.post("/api/v1/webhooks", Map.of("url", URL, "events", "device.created")).status())
                .isEqualTo(400);
        assertThat(api.post("/api/v1/webhooks", Map.of("url", URL, "secret", "whsec_mine")).status()).isEqualTo(400);
        assertThat(api.post("/api/v1/webhooks", Map.of("url", URL, "enabled", false)).status()).isEqualTo(400);
        assertThat(api.post("/api/v1/webhooks", Map.of("url", URL, "deviceId", "not-a-uuid")).status()).isEqualTo(400);
        assertThat(api.post("/api/v1/webhooks", "{\"url\":").status()).isEqualTo(400);
        assertThat(api.post("/api/v1/webhooks", "[]").status()).isEqualTo(400);
        String id = create(Map.of("url", URL));
        assertThat(api.patch("/api/v1/webhooks/" + id, Map.of("enabled", "yes")).status()).isEqualTo(400);
        assertThat(api.patch("/api/v1/webhooks/" + id, Map.of("deviceId", 12)).status()).isEqualTo(400);
        assertThat(api.patch("/api/v1/webhooks/" + id, Map.of("events", List.of())).status()).isEqualTo(200);
        assertThat(api.get("/api/v1/webhooks/not-an-id").status()).isEqualTo(400);
        assertThat(api.get("/api/v1/webhooks/" + id + "/deliveries?limit=0").status()).isEqualTo(400);
        assertThat(api.get("/api/v1/webhooks/" + id + "/deliveries?cursor=garbage").status()).isEqualTo(400);
        assertThat(api.get("/api/v1/webhooks").json().path("items")).hasSize(1);
    }

    @Test
    void limitsWebhooksPerUser() {
        for (int i = 0; i < 20; i++) {
            create(Map.of("url", URL));
        }
        Api.Response over = api.post("/api/v1/webhooks", Map.of("url", URL));
        assertThat(over.status()).isEqualTo(409);
        assertThat(over.json().path("limit").asInt()).isEqualTo(20);
    }

    @Test
    void needsACredentialWithTheRightScope() {
        assertThat(new Api(port).get("/api/v1/webhooks").status()).isEqualTo(401);
        String readOnly = new Fixtures(dataSource, hasher).apiKey(user, List.of("read"));
        Api reader = new Api(port).bearer(readOnly);
        assertThat(reader.get("/api/v1/webhooks").status()).isEqualTo(200);
        assertThat(reader.post("/api/v1/webhooks", Map.of("url", URL)).status()).isEqualTo(403);
    }

    private String create(Map<String, Object> body) {
        Api.Response created = api.post("/api/v1/webhooks", body);
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        return created.json().path("id").asString();
    }

    private List<String> activity() {
        List<String> actions = new java.util.ArrayList<>();
        api.get("/api/v1/activity?limit=100").json().path("items").forEach(i -> actions.add(i.path("action").asString()));
        return actions;
    }
}
