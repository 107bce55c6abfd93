package io.virtdevice.ifttt;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.testing.Api;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Status, test setup, user info, authentication and unknown paths of IFTTT's Service API, over HTTP. */
class IftttServiceTests extends IftttTestSupport {

    @Test
    void statusAnswers200WithTheServiceKeyAnd401WithoutIt() {
        Api api = new Api(port);
        assertThat(api.send("GET", "/ifttt/v1/status", null, serviceKey()).status()).isEqualTo(200);
        assertThat(api.send("GET", "/ifttt/v1/status", null, Map.of("IFTTT-Channel-Key", SERVICE_KEY)).status())
                .isEqualTo(200);
        error(api.send("GET", "/ifttt/v1/status", null, Map.of("IFTTT-Service-Key", "INVALID")), 401);
        error(api.send("GET", "/ifttt/v1/status", null, Map.of("IFTTT-Service-Key", SERVICE_KEY + "x")), 401);
        error(api.get("/ifttt/v1/status"), 401);
    }

    @Test
    void testSetupNeedsTheServiceKey() {
        Api api = new Api(port);
        error(api.send("POST", "/ifttt/v1/test/setup", "{}", Map.of("IFTTT-Service-Key", "INVALID")), 401);
        error(api.post("/ifttt/v1/test/setup", "{}"), 401);
    }

    @Test
    void testSetupGivesATokenAndSamplesEveryEndpointAccepts() {
        JsonNode data = setUp();
        Api ifttt = new Api(port).bearer(data.path("accessToken").asString());
        JsonNode samples = data.path("samples");
        assertThat(ifttt.get("/ifttt/v1/user/info").status()).isEqualTo(200);

        for (IftttTrigger trigger : IftttTrigger.values()) {
            JsonNode fields = samples.path("triggers").path(trigger.slug());
            assertThat(fields.isObject()).as(trigger.slug()).isTrue();
            List<JsonNode> items = items(ifttt.post("/ifttt/v1/triggers/" + trigger.slug(),
                    Map.of("triggerFields", fields, "trigger_identity", identity(), "limit", 50)));
            assertThat(items).as(trigger.slug()).hasSizeGreaterThanOrEqualTo(3);
            assertThat(items).extracting(i -> i.path("meta").path("timestamp").asLong())
                    .isSortedAccordingTo((a, b) -> Long.compare(b, a));
            assertThat(items).extracting(i -> i.path("meta").path("id").asString()).doesNotHaveDuplicates();
            samples.path("triggerFieldValidations").path(trigger.slug()).properties().forEach(e -> {
                String path = "/ifttt/v1/triggers/" + trigger.slug() + "/fields/" + e.getKey() + "/validate";
                assertThat(ifttt.post(path, Map.of("value", e.getValue().path("valid"))).json()
                        .path("data").path("valid").asBoolean()).as(path).isTrue();
                Api.Response invalid = ifttt.post(path, Map.of("value", e.getValue().path("invalid")));
                assertThat(invalid.status()).isEqualTo(200);
                assertThat(invalid.json().path("data").path("valid").asBoolean()).as(path).isFalse();
                assertThat(invalid.json().path("data").path("message").asString()).isNotBlank();
            });
        }
        for (IftttAction action : IftttAction.values()) {
            Api.Response done = ifttt.post("/ifttt/v1/actions/" + action.slug(),
                    Map.of("actionFields", samples.path("actions").path(action.slug())));
            assertThat(done.status()).as(action.slug() + ": " + done).isEqualTo(200);
            assertThat(done.json().path("data")).hasSize(1);
            assertThat(done.json().path("data").get(0).path("id").asString()).isNotBlank();
            skipped(ifttt.post("/ifttt/v1/actions/" + action.slug(),
                    Map.of("actionFields", samples.path("actionRecordSkipping").path(action.slug()))));
        }
        Api.Response query = ifttt.post("/ifttt/v1/queries/list_devices",
                Map.of("queryFields", samples.path("queries").path("list_devices")));
        assertThat(query.status()).isEqualTo(200);
        assertThat(query.json().path("data")).hasSize(1);
    }

    @Test
    void testSetupResetsTheSameTestUser() {
        JsonNode first = setUp();
        Api firstToken = new Api(port).bearer(first.path("accessToken").asString());
        String user = firstToken.get("/ifttt/v1/user/info").json().path("data").path("id").asString();
        // an applet of the earlier run stores an identity; the reset forgets it
        poll(firstToken, "doorbell_pressed",
                Map.of("device", first.path("samples").path("triggers").path("doorbell_pressed").path("device").asString()),
                "trigger_identity", identity());

        JsonNode second = setUp();
        Api secondToken = new Api(port).bearer(second.path("accessToken").asString());

        assertThat(secondToken.get("/ifttt/v1/user/info").json().path("data").path("id").asString()).isEqualTo(user);
        String oldDevice = first.path("samples").path("triggers").path("device_turned_on").path("device").asString();
        assertThat(second.path("samples").path("triggers").path("device_turned_on").path("device").asString())
                .isNotEqualTo(oldDevice);
        assertThat(items(poll(secondToken, "device_turned_on", Map.of("device", oldDevice)))).isEmpty();
        assertThat(superuser().sql("select count(*) from ifttt_trigger_subscriptions where user_id = cast(:u as uuid)")
                .param("u", user).query(Long.class).single()).isZero();
    }

    @Test
    void userInfoNamesTheLinkedUser() {
        Linked linked = linked();

        Api.Response info = linked.ifttt().get("/ifttt/v1/user/info");

        assertThat(info.status()).isEqualTo(200);
        JsonNode data = info.json().path("data");
        assertThat(data.path("id").asString()).isEqualTo(linked.user().userId().toString());
        assertThat(data.path("name").asString()).isEqualTo("Test Owner");
        assertThat(data.path("url").asString()).endsWith("/dashboard");
    }

    @Test
    void refusesMissingWrongAndForeignTokensInIftttsShape() {
        Linked linked = linked();
        List<String[]> endpoints = List.of(
                new String[] {"GET", "/ifttt/v1/user/info"},
                new String[] {"POST", "/ifttt/v1/triggers/device_turned_on"},
                new String[] {"DELETE", "/ifttt/v1/triggers/device_turned_on/trigger_identity/abc"},
                new String[] {"POST", "/ifttt/v1/triggers/device_turned_on/fields/device/options"},
                new String[] {"POST", "/ifttt/v1/triggers/device_turned_on/fields/device/validate"},
                new String[] {"POST", "/ifttt/v1/actions/turn_device_on"},
                new String[] {"POST", "/ifttt/v1/actions/turn_device_on/fields/device/options"},
                new String[] {"POST", "/ifttt/v1/queries/list_devices"},
                new String[] {"POST", "/ifttt/v1/queries/list_devices/fields/type/options"});
        for (String[] endpoint : endpoints) {
            for (String token : new String[] {null, "vda_notatoken", linked.user().apiKey()}) {
                Api.Response response = new Api(port).bearer(token)
                        .send(endpoint[0], endpoint[1], endpoint[0].equals("POST") ? "{}" : null, Map.of());
                assertThat(error(response, 401)).as(endpoint[1]).isEqualTo("Invalid access token");
            }
        }
        // and IFTTT's token is refused on the REST API
        assertThat(new Api(port).bearer(linked.accessToken()).get("/api/v1/devices").status()).isEqualTo(401);
    }

    @Test
    void keepsTheOlderRefreshTokenWorkingAfterARotation() {
        Linked linked = linked();
        JsonNode second = refresh(linked.refreshToken());
        assertThat(second.path("refresh_token").asString()).isNotEqualTo(linked.refreshToken());

        // IFTTT's test: the previous refresh token still works right after the rotation
        JsonNode third = refresh(linked.refreshToken());

        for (JsonNode tokens : List.of(second, third)) {
            assertThat(new Api(port).bearer(tokens.path("access_token").asString()).get("/ifttt/v1/user/info").status())
                    .isEqualTo(200);
        }
        assertThat(refresh(third.path("refresh_token").asString()).path("access_token").asString()).isNotBlank();
    }

    @Test
    void answersUnknownSlugsAndPathsWith404InIftttsShape() {
        Linked linked = linked();
        error(linked.ifttt().post("/ifttt/v1/triggers/no_such_trigger", Map.of("triggerFields", Map.of())), 404);
        error(linked.ifttt().post("/ifttt/v1/actions/no_such_action", Map.of("actionFields", Map.of())), 404);
        error(linked.ifttt().post("/ifttt/v1/queries/no_such_query", Map.of("queryFields", Map.of())), 404);
        error(linked.ifttt().post("/ifttt/v1/triggers/device_turned_on/fields/colour/options", "{}"), 404);
        error(linked.ifttt().post("/ifttt/v1/actions/set_brightness/fields/colour/options", "{}"), 404);
        error(linked.ifttt().post("/ifttt/v1/triggers/doorbell_pressed/fields/nothing/validate", "{}"), 404);
        error(linked.ifttt().get("/ifttt/v1/somewhere/else"), 404);
    }

    private JsonNode setUp() {
        Api.Response response = new Api(port).send("POST", "/ifttt/v1/test/setup", "{}", serviceKey());
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        return response.json().path("data");
    }

    private JsonNode refresh(String refreshToken) {
        String form = "grant_type=refresh_token&refresh_token=" + URLEncoder.encode(refreshToken, StandardCharsets.UTF_8)
                + "&client_id=ifttt-service&client_secret="
                + URLEncoder.encode(io.virtdevice.testing.IntegrationTest.IFTTT_CLIENT_SECRET, StandardCharsets.UTF_8);
        Api.Response response = new Api(port).send("POST", "/oauth2/token", form,
                Map.of("Content-Type", "application/x-www-form-urlencoded"));
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        return response.json();
    }
}
