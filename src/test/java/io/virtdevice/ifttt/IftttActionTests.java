package io.virtdevice.ifttt;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.testing.Api;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Actions, SKIP semantics and the device query (shared/spec/ifttt.md §4.7, §4.8, §5). */
class IftttActionTests extends IftttTestSupport {

    @Test
    void changesDevicesThroughTheDevicesModule() {
        Linked linked = linked();
        String[] lamp = device(linked.rest(), "Lamp", "switch");
        String[] dimmer = device(linked.rest(), "Dimmer", "dimmer");
        String[] door = device(linked.rest(), "Door", "contact_sensor");
        String[] hall = device(linked.rest(), "Hall", "motion_sensor");
        String[] bell = device(linked.rest(), "Bell", "doorbell");
        String[] thermo = device(linked.rest(), "Thermo", "temperature_sensor");

        Api.Response on = act(linked.ifttt(), "turn_device_on", Map.of("device", lamp[1]));
        assertThat(on.status()).as(on.toString()).isEqualTo(200);
        assertThat(on.json().path("data").get(0).path("id").asString()).startsWith(lamp[1]);
        assertThat(value(linked, lamp[0], "power")).isEqualTo("true");
        assertThat(act(linked.ifttt(), "turn_device_off", Map.of("device", lamp[1])).status()).isEqualTo(200);
        assertThat(value(linked, lamp[0], "power")).isEqualTo("false");
        assertThat(act(linked.ifttt(), "toggle_device", Map.of("device", lamp[1])).status()).isEqualTo(200);
        assertThat(value(linked, lamp[0], "power")).isEqualTo("true");
        assertThat(act(linked.ifttt(), "set_brightness", Map.of("device", dimmer[1], "brightness", "40")).status())
                .isEqualTo(200);
        assertThat(value(linked, dimmer[0], "brightness")).isEqualTo("40");
        assertThat(act(linked.ifttt(), "set_sensor_state", Map.of("device", door[1], "state", "open")).status())
                .isEqualTo(200);
        assertThat(value(linked, door[0], "contact")).isEqualTo("open");
        assertThat(act(linked.ifttt(), "set_sensor_state", Map.of("device", hall[1], "state", "detected")).status())
                .isEqualTo(200);
        assertThat(value(linked, hall[0], "motion")).isEqualTo("detected");
        // a pulse of a sensor that is DETECTED already: a fresh edge, DETECTED again, reset later
        Api.Response pulse = act(linked.ifttt(), "pulse_sensor", Map.of("device", hall[1]));
        assertThat(pulse.status()).as(pulse.toString()).isEqualTo(200);
        assertThat(value(linked, hall[0], "motion")).isEqualTo("detected");
        assertThat(act(linked.ifttt(), "pulse_sensor", Map.of("device", door[1])).status()).isEqualTo(200);
        assertThat(value(linked, door[0], "contact")).isEqualTo("open");
        assertThat(act(linked.ifttt(), "press_doorbell", Map.of("device", bell[1])).status()).isEqualTo(200);
        assertThat(value(linked, bell[0], "press")).isNotBlank();
        assertThat(act(linked.ifttt(), "set_temperature", Map.of("device", thermo[1], "temperature", "-3.5")).status())
                .isEqualTo(200);
        assertThat(value(linked, thermo[0], "temperature")).isEqualTo("-3.5");

        JsonNode activity = linked.rest().get("/api/v1/activity?action=ifttt_action&limit=50").json();
        // every change but the press (logged as the doorbell_pressed it is, with source ifttt), the two pulses'
        // DETECTED included (the re-pulse's end of the running pulse is the system's, not IFTTT's)
        assertThat(activity.path("items")).hasSize(9);
        assertThat(activity.toString()).contains("\"source\":\"ifttt\"");
        JsonNode presses = linked.rest().get("/api/v1/activity?action=doorbell_pressed").json().path("items");
        assertThat(presses).hasSize(1);
        assertThat(presses.get(0).path("source").asString()).isEqualTo("ifttt");
    }

    @Test
    void skipsActionsThatCanNeverSucceed() {
        Linked linked = linked();
        Linked other = linked();
        String[] lamp = device(linked.rest(), "Lamp", "switch");
        String[] dimmer = device(linked.rest(), "Dimmer", "dimmer");
        String[] door = device(linked.rest(), "Door", "contact_sensor");
        String[] thermo = device(linked.rest(), "Thermo", "temperature_sensor");
        String[] foreign = device(other.rest(), "Theirs", "switch");
        Api ifttt = linked.ifttt();

        skipped(act(ifttt, "turn_device_on", Map.of("device", "vd_00000000000000000000000000000000")));
        skipped(act(ifttt, "turn_device_on", Map.of("device", foreign[1])));
        skipped(act(ifttt, "turn_device_on", Map.of("device", door[1])));
        skipped(act(ifttt, "set_brightness", Map.of("device", lamp[1], "brightness", "40")));
        skipped(act(ifttt, "set_brightness", Map.of("device", dimmer[1], "brightness", "150")));
        skipped(act(ifttt, "set_brightness", Map.of("device", dimmer[1], "brightness", "bright")));
        skipped(act(ifttt, "set_brightness", Map.of("device", dimmer[1])));
        skipped(act(ifttt, "set_brightness", Map.of("device", dimmer[1], "brightness", "")));
        skipped(act(ifttt, "set_sensor_state", Map.of("device", door[1], "state", "detected")));
        skipped(act(ifttt, "set_sensor_state", Map.of("device", door[1], "state", "ajar")));
        skipped(act(ifttt, "set_temperature", Map.of("device", thermo[1], "temperature", "-300")));
        skipped(act(ifttt, "press_doorbell", Map.of("device", lamp[1])));
        skipped(act(ifttt, "pulse_sensor", Map.of("device", lamp[1])));
        skipped(act(ifttt, "turn_device_on", Map.of()));

        // syntax errors are plain 400s (IFTTT retries those), not SKIPs
        for (Api.Response response : List.of(ifttt.post("/ifttt/v1/actions/turn_device_on", Map.of("user", Map.of())),
                ifttt.post("/ifttt/v1/actions/turn_device_on", "{\"actionFields\":"),
                ifttt.post("/ifttt/v1/actions/turn_device_on", Map.of("actionFields", List.of())))) {
            error(response, 400);
            assertThat(response.json().path("errors").get(0).has("status")).isFalse();
        }
        assertThat(value(other, foreign[0], "power")).isEqualTo("false");
        // "with extra data"
        assertThat(ifttt.post("/ifttt/v1/actions/turn_device_on", Map.of("actionFields",
                Map.of("device", lamp[1], "unknown", "x"), "surprise", 1)).status()).isEqualTo(200);
    }

    @Test
    void listsDevicesAPageAtATime() {
        Linked linked = linked();
        List<String> made = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            made.add(device(linked.rest(), "Switch " + i, "switch")[1]);
        }
        String[] door = device(linked.rest(), "Door", "contact_sensor");
        set(linked.rest(), door[0], Map.of("contact", "open"));

        List<String> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            Map<String, Object> body = new java.util.LinkedHashMap<>(body("queryFields", Map.of("type", "switch")));
            body.put("limit", 2);
            if (cursor != null) {
                body.put("cursor", cursor);
            }
            Api.Response page = linked.ifttt().post("/ifttt/v1/queries/list_devices", body);
            assertThat(page.status()).as(page.toString()).isEqualTo(200);
            page.json().path("data").forEach(row -> {
                assertThat(row.has("meta")).isFalse();
                assertThat(row.path("type").asString()).isEqualTo("switch");
                seen.add(row.path("device_id").asString());
            });
            cursor = page.json().has("cursor") ? page.json().path("cursor").asString() : null;
            pages++;
        } while (cursor != null);

        assertThat(pages).isEqualTo(3);
        assertThat(seen).containsExactlyElementsOf(made);
        JsonNode all = linked.ifttt().post("/ifttt/v1/queries/list_devices", body("queryFields", Map.of())).json();
        assertThat(all.path("data")).hasSize(6);
        assertThat(all.has("cursor")).isFalse();
        assertThat(all.path("data").get(5).path("state").asString()).isEqualTo("contact: open");
        assertThat(linked.ifttt().post("/ifttt/v1/queries/list_devices",
                Map.of("queryFields", Map.of(), "limit", 0)).json().path("data")).isEmpty();
        error(linked.ifttt().post("/ifttt/v1/queries/list_devices", Map.of("limit", 5)), 400);
        error(linked.ifttt().post("/ifttt/v1/queries/list_devices", Map.of("queryFields", Map.of("type", "toaster"))), 400);
        error(linked.ifttt().post("/ifttt/v1/queries/list_devices", Map.of("queryFields", Map.of(), "cursor", "@@@")), 400);
        // another user sees none of these
        assertThat(linked().ifttt().post("/ifttt/v1/queries/list_devices", body("queryFields", Map.of())).json()
                .path("data")).isEmpty();
    }

    private static String value(Linked linked, String deviceId, String property) {
        JsonNode value = linked.rest().get("/api/v1/devices/" + deviceId).json().path("properties").path(property)
                .path("value");
        return value.isNull() || value.isMissingNode() ? "" : value.asString();
    }
}
