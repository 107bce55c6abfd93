package io.virtdevice.devices;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

@IntegrationTest
class UrlTriggerTests extends DeviceTests {

    @Autowired
    DeviceEventRecorder recorder;

    /** Creates a link and returns its path ({@code /t/<token>}). */
    private static String link(Api api, UUID deviceId, Map<String, ?> body) {
        Api.Response response = api.post("/api/v1/devices/" + deviceId + "/triggers", body);
        if (response.status() != 201) {
            throw new AssertionError("trigger creation failed: " + response);
        }
        String url = response.json().path("url").asString();
        return url.substring(url.indexOf("/t/"));
    }

    @Test
    void issuesTheLinkOnceAndListsItWithoutTheSecret() {
        Fixtures.TestUser user = fixtures().owner();
        Api api = api(user);
        UUID id = create(api, "Lamp", "switch");
        Api.Response created = api.post("/api/v1/devices/" + id + "/triggers", Map.of("name", "Phone shortcut"));
        assertThat(created.status()).isEqualTo(201);
        assertThat(created.header("Cache-Control")).contains("no-store");
        JsonNode trigger = created.json();
        String url = trigger.path("url").asString();
        assertThat(url).matches("https?://.+/t/vdt_[A-Za-z0-9_-]{43}");
        String token = url.substring(url.indexOf("/t/") + 3);
        assertThat(trigger.path("name").asString()).isEqualTo("Phone shortcut");
        assertThat(trigger.path("property").isNull()).isTrue();
        assertThat(created.header("Location")).endsWith("/triggers/" + trigger.path("id").asString());

        new Api(port).get("/t/" + token);
        Api.Response listed = api.get("/api/v1/devices/" + id + "/triggers");
        assertThat(listed.status()).isEqualTo(200);
        assertThat(listed.body()).doesNotContain(token);
        JsonNode item = listed.json().path("items").get(0);
        assertThat(item.path("useCount").asLong()).isEqualTo(1);
        assertThat(item.path("lastUsedAt").isNull()).isFalse();
        assertThat(item.path("prefix").asString()).isEqualTo(token.substring(0, 12));
        assertThat(item.has("url")).isFalse();
        assertThat(sql().count(user, "select count(*) from activity_logs where device_id = :id "
                + "and action = 'url_trigger_created'", id)).isEqualTo(1);
    }

    @Test
    void togglesASwitch() {
        Fixtures.TestUser user = fixtures().owner();
        UUID id = create(api(user), "Lamp", "switch");
        String path = link(api(user), id, Map.of("name", "toggle"));
        Api anonymous = new Api(port);

        Api.Response on = anonymous.get(path);
        assertThat(on.status()).isEqualTo(200);
        assertThat(on.json().path("ok").asBoolean()).isTrue();
        assertThat(on.json().path("device").path("properties").path("power").path("value").asBoolean()).isTrue();
        assertThat(on.json().path("device").path("properties").path("power").path("lastChangedBy").asString())
                .isEqualTo("trigger");
        Api.Response off = anonymous.post(path, null);
        assertThat(off.json().path("device").path("properties").path("power").path("value").asBoolean()).isFalse();
        assertThat(recorder.of(id)).last().extracting(DeviceStateChanged::source).isEqualTo(ChangeSource.TRIGGER);
        assertThat(sql().count(user, "select count(*) from activity_logs where device_id = :id and source = 'trigger'",
                id)).isEqualTo(2);
    }

    @Test
    void pressesADoorbell() {
        Api api = api(fixtures().owner());
        UUID id = create(api, "Front", "doorbell");
        Api.Response pressed = new Api(port).post(link(api, id, Map.of("name", "bell")), null);
        assertThat(pressed.status()).isEqualTo(200);
        assertThat(pressed.json().path("device").path("properties").path("press").path("value").isString()).isTrue();
        assertThat(recorder.of(id)).last().extracting(DeviceStateChanged::kind)
                .isEqualTo(DeviceStateChanged.Kind.DOORBELL_PRESSED);
    }

    @Test
    void setsBrightnessFromTheQueryString() {
        Api api = api(fixtures().owner());
        UUID id = create(api, "Dimmer", "dimmer");
        String path = link(api, id, Map.of("name", "any"));
        Api anonymous = new Api(port);
        JsonNode device = anonymous.get(path + "?property=brightness&value=40").json().path("device");
        assertThat(device.path("properties").path("brightness").path("value").asInt()).isEqualTo(40);
        device = anonymous.get(path + "?property=power&value=on").json().path("device");
        assertThat(device.path("properties").path("power").path("value").asBoolean()).isTrue();
        assertThat(anonymous.get(path + "?property=brightness&value=400").status()).isEqualTo(400);
        assertThat(anonymous.get(path + "?property=brightness&value=bright").status()).isEqualTo(400);
        assertThat(anonymous.get(path + "?property=colour&value=red").status()).isEqualTo(400);
        assertThat(anonymous.get(path + "?value=40").status()).isEqualTo(400);
        assertThat(version(api, id)).isEqualTo(3);
    }

    @Test
    void acceptsJsonAndFormBodies() {
        Api api = api(fixtures().owner());
        UUID id = create(api, "Dimmer", "dimmer");
        String path = link(api, id, Map.of("name", "any"));
        Api anonymous = new Api(port);
        Api.Response json = anonymous.post(path, Map.of("property", "brightness", "value", 25));
        assertThat(json.json().path("device").path("properties").path("brightness").path("value").asInt())
                .isEqualTo(25);
        Api.Response form = anonymous.send("POST", path, "property=brightness&value=35",
                Map.of("Content-Type", "application/x-www-form-urlencoded"));
        assertThat(form.json().path("device").path("properties").path("brightness").path("value").asInt())
                .isEqualTo(35);
        assertThat(anonymous.post(path, "{\"property\": \"brightness\", ").status()).isEqualTo(400);
        assertThat(anonymous.post(path, Map.of("property", "brightness", "value", 5, "extra", 1)).status())
                .isEqualTo(400);
    }

    @Test
    void theLinksFixedActionWins() {
        Api api = api(fixtures().owner());
        UUID id = create(api, "Lamp", "dimmer");
        String path = link(api, id, Map.of("name", "on", "property", "power", "value", true));
        Api anonymous = new Api(port);
        for (int i = 0; i < 2; i++) {
            JsonNode device = anonymous.get(path + "?property=power&value=false").json().path("device");
            assertThat(device.path("properties").path("power").path("value").asBoolean()).isTrue();
        }
        anonymous.post(path, Map.of("property", "brightness", "value", 10));
        JsonNode device = api.get("/api/v1/devices/" + id).json();
        assertThat(device.path("properties").path("brightness").path("value").asInt()).isEqualTo(100);
        assertThat(device.path("version").asLong()).isEqualTo(2);

        String dim = link(api, id, Map.of("name", "dim", "property", "brightness", "value", "20"));
        assertThat(anonymous.get(dim + "?value=90").json().path("device").path("properties").path("brightness")
                .path("value").asInt()).isEqualTo(20);
    }

    @Test
    void aContactOrMotionSensorsDefaultActionIsAPulseOtherSensorsNeedAPropertyAndValue() {
        Api api = api(fixtures().owner());
        UUID id = create(api, "Door", "contact_sensor");
        String path = link(api, id, Map.of("name", "door"));
        Api anonymous = new Api(port);
        JsonNode pulsed = anonymous.get(path).json().path("device");
        assertThat(pulsed.path("properties").path("contact").path("value").asString()).isEqualTo("open");
        assertThat(pulsed.path("pulseResetAt").isString()).isTrue();
        assertThat(anonymous.get(path + "?property=contact").status()).isEqualTo(400);
        assertThat(anonymous.get(path + "?property=contact&value=closed").json().path("device").path("properties")
                .path("contact").path("value").asString()).isEqualTo("closed");

        UUID thermometer = create(api, "Thermometer", "temperature_sensor");
        String reading = link(api, thermometer, Map.of("name", "reading"));
        assertThat(anonymous.get(reading).status()).isEqualTo(400);
        assertThat(anonymous.get(reading + "?property=temperature&value=21.5").json().path("device")
                .path("properties").path("temperature").path("value").asDouble()).isEqualTo(21.5);
    }

    @Test
    void aRevokedOrUnknownLinkIsNotFound() {
        Fixtures.TestUser user = fixtures().owner();
        Api api = api(user);
        UUID id = create(api, "Lamp", "switch");
        Api.Response created = api.post("/api/v1/devices/" + id + "/triggers", Map.of("name", "t"));
        String url = created.json().path("url").asString();
        String path = url.substring(url.indexOf("/t/"));
        String triggerId = created.json().path("id").asString();

        assertThat(api.delete("/api/v1/devices/" + id + "/triggers/" + triggerId).status()).isEqualTo(204);
        Api anonymous = new Api(port);
        Api.Response revoked = anonymous.get(path);
        assertThat(revoked.status()).isEqualTo(404);
        assertThat(revoked.header("Content-Type")).startsWith("application/problem+json");
        assertThat(api.delete("/api/v1/devices/" + id + "/triggers/" + triggerId).status()).isEqualTo(404);
        assertThat(api.get("/api/v1/devices/" + id + "/triggers").json().path("items")).isEmpty();
        assertThat(anonymous.get("/t/vdt_" + "A".repeat(43)).status()).isEqualTo(404);
        assertThat(anonymous.get("/t/nonsense").status()).isEqualTo(404);
        assertThat(anonymous.post("/t/" + "vdt_x".repeat(100), null).status()).isEqualTo(404);
        assertThat(version(api, id)).isEqualTo(1);
        assertThat(sql().count(user, "select count(*) from activity_logs where device_id = :id "
                + "and action = 'url_trigger_revoked'", id)).isEqualTo(1);
    }

    @Test
    void deletingTheDeviceKillsItsLinks() {
        Api api = api(fixtures().owner());
        UUID id = create(api, "Lamp", "switch");
        String path = link(api, id, Map.of("name", "t"));
        api.delete("/api/v1/devices/" + id);
        assertThat(new Api(port).get(path).status()).isEqualTo(404);
    }

    @Test
    void refusesInvalidLinkDefinitions() {
        Api api = api(fixtures().owner());
        UUID id = create(api, "Lamp", "dimmer");
        String base = "/api/v1/devices/" + id + "/triggers";
        assertThat(api.post(base, Map.of("name", "")).status()).isEqualTo(400);
        assertThat(api.post(base, Map.of("name", "t", "property", "colour")).status()).isEqualTo(400);
        assertThat(api.post(base, Map.of("name", "t", "property", "brightness", "value", 101)).status()).isEqualTo(400);
        assertThat(api.post(base, Map.of("name", "t", "property", "power", "value", "maybe")).status()).isEqualTo(400);
        assertThat(api.post(base, Map.of("name", "t", "value", true)).status()).isEqualTo(400);
        assertThat(api.post(base, Map.of("name", "t", "token", "vdt_mine")).status()).isEqualTo(400);
        assertThat(api.get(base).json().path("items")).isEmpty();
    }

    private long useCount(Api api, UUID deviceId) {
        return api.get("/api/v1/devices/" + deviceId + "/triggers").json().path("items").get(0).path("useCount").asLong();
    }

    @Test
    void headPrefetchesAndLinkPreviewBotsDoNotFire() {
        Api api = api(fixtures().owner());
        UUID id = create(api, "Lamp", "switch");
        String path = link(api, id, Map.of("name", "toggle"));
        Api anonymous = new Api(port);
        java.util.List<Map<String, String>> lookOnly = java.util.List.of(
                Map.of("Purpose", "prefetch"), Map.of("Sec-Purpose", "prefetch;prerender"),
                Map.of("X-Purpose", "preview"), Map.of("X-Moz", "prefetch"),
                Map.of("User-Agent", "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"),
                Map.of("User-Agent", "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"),
                Map.of("User-Agent", "Twitterbot/1.0"), Map.of("User-Agent", "WhatsApp/2.23.20.0 A"),
                Map.of("User-Agent", "TelegramBot (like TwitterBot)"),
                Map.of("User-Agent", "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)"),
                Map.of("User-Agent", "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)"),
                Map.of("User-Agent", "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5"),
                Map.of("User-Agent", "Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 (KHTML, like Gecko) Applebot/0.1"),
                Map.of("User-Agent", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"),
                Map.of("User-Agent", "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"),
                Map.of("User-Agent", "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.12026; Pro)"));
        for (Map<String, String> headers : lookOnly) {
            Api.Response preview = anonymous.send("GET", path, null, headers);
            assertThat(preview.status()).as(headers.toString()).isEqualTo(200);
            assertThat(preview.json().path("fired").asBoolean(true)).as(headers.toString()).isFalse();
            assertThat(preview.header("Cache-Control")).contains("no-store");
        }
        Api.Response head = anonymous.send("HEAD", path, null, Map.of());
        assertThat(head.status()).isEqualTo(200);
        assertThat(version(api, id)).isEqualTo(1);
        assertThat(useCount(api, id)).isZero();
        assertThat(recorder.of(id)).noneMatch(e -> e.source() == ChangeSource.TRIGGER);

        // Shortcuts, Tasker, IFTTT and curl still fire it with a plain GET
        for (String agent : java.util.List.of("Shortcuts/1.0 CFNetwork/1410.0.3 Darwin/22.6.0", "okhttp/4.12.0",
                "IFTTT-Protocol/v1", "curl/8.5.0")) {
            Api.Response fired = anonymous.send("GET", path, null, Map.of("User-Agent", agent));
            assertThat(fired.status()).as(agent).isEqualTo(200);
            assertThat(fired.json().path("ok").asBoolean()).as(agent).isTrue();
        }
        assertThat(version(api, id)).isEqualTo(5);
        assertThat(useCount(api, id)).isEqualTo(4);
    }

    @Test
    void aPostOnlyLinkRefusesGetAndChangesNothing() {
        Api api = api(fixtures().owner());
        UUID id = create(api, "Lamp", "switch");
        Api.Response created = api.post("/api/v1/devices/" + id + "/triggers", Map.of("name", "form", "postOnly", true));
        assertThat(created.status()).isEqualTo(201);
        assertThat(created.json().path("postOnly").asBoolean()).isTrue();
        String url = created.json().path("url").asString();
        String path = url.substring(url.indexOf("/t/"));
        Api anonymous = new Api(port);

        Api.Response get = anonymous.get(path + "?property=power&value=on");
        assertThat(get.status()).isEqualTo(405);
        assertThat(get.header("Allow")).isEqualTo("POST");
        assertThat(get.header("Content-Type")).startsWith("application/problem+json");
        assertThat(version(api, id)).isEqualTo(1);
        assertThat(useCount(api, id)).isZero();
        assertThat(anonymous.post(path, null).status()).isEqualTo(200);
        assertThat(version(api, id)).isEqualTo(2);
        assertThat(api.get("/api/v1/devices/" + id + "/triggers").json().path("items").get(0).path("postOnly")
                .asBoolean()).isTrue();

        String triggerId = created.json().path("id").asString();
        Api.Response relaxed = api.patch("/api/v1/devices/" + id + "/triggers/" + triggerId, Map.of("postOnly", false));
        assertThat(relaxed.status()).isEqualTo(200);
        assertThat(relaxed.json().path("postOnly").asBoolean(true)).isFalse();
        assertThat(anonymous.get(path).status()).isEqualTo(200);
        assertThat(version(api, id)).isEqualTo(3);

        Api.Response strict = api.patch("/api/v1/devices/" + id + "/triggers/" + triggerId, Map.of("postOnly", true));
        assertThat(strict.json().path("postOnly").asBoolean()).isTrue();
        assertThat(anonymous.get(path).status()).isEqualTo(405);
        assertThat(version(api, id)).isEqualTo(3);
        assertThat(api.patch("/api/v1/devices/" + id + "/triggers/" + UUID.randomUUID(), Map.of("postOnly", true))
                .status()).isEqualTo(404);
    }
}
