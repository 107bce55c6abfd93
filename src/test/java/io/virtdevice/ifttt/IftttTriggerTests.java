package io.virtdevice.ifttt;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.testing.Api;
import io.virtdevice.testing.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Trigger polls, trigger identities, field options and validation (shared/spec/ifttt.md §4.4-4.6, §8). */
class IftttTriggerTests extends IftttTestSupport {

    @Test
    void returnsTheNewestEventsFirstWithStableMetaAndHonoursTheLimit() {
        Linked linked = linked();
        String[] lamp = device(linked.rest(), "Lamp", "switch");
        for (int i = 0; i < 4; i++) {
            set(linked.rest(), lamp[0], Map.of("power", true));
            set(linked.rest(), lamp[0], Map.of("power", false));
        }

        List<JsonNode> all = items(poll(linked.ifttt(), "device_turned_on", Map.of("device", lamp[1])));
        List<JsonNode> again = items(poll(linked.ifttt(), "device_turned_on", Map.of("device", lamp[1])));

        assertThat(all).hasSize(4);
        assertThat(all).allSatisfy(item -> {
            assertThat(item.path("meta").path("id").isString()).isTrue();
            assertThat(item.path("meta").path("timestamp").isIntegralNumber()).isTrue();
            assertThat(item.path("device_name").asString()).isEqualTo("Lamp");
            assertThat(item.path("property").asString()).isEqualTo("power");
            assertThat(item.path("value").asString()).isEqualTo("true");
            assertThat(item.path("changed_at").asString()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d[+-]\\d\\d:\\d\\d");
        });
        assertThat(again).extracting(i -> i.path("meta").path("id").asString())
                .containsExactlyElementsOf(all.stream().map(i -> i.path("meta").path("id").asString()).toList());
        assertThat(all).extracting(i -> i.path("meta").path("timestamp").asLong())
                .isSortedAccordingTo((a, b) -> Long.compare(b, a));
        // the newest is the last one written: a new change shows up first
        set(linked.rest(), lamp[0], Map.of("power", true));
        List<JsonNode> newer = items(poll(linked.ifttt(), "device_turned_on", Map.of("device", lamp[1])));
        assertThat(newer).hasSize(5);
        assertThat(all.stream().map(i -> i.path("meta").path("id").asString()))
                .doesNotContain(newer.get(0).path("meta").path("id").asString());

        assertThat(items(poll(linked.ifttt(), "device_turned_on", Map.of("device", lamp[1]), "limit", 1)))
                .extracting(i -> i.path("meta").path("id").asString())
                .containsExactly(newer.get(0).path("meta").path("id").asString());
        assertThat(items(poll(linked.ifttt(), "device_turned_on", Map.of("device", lamp[1]), "limit", 0))).isEmpty();
        error(poll(linked.ifttt(), "device_turned_on", Map.of("device", lamp[1]), "limit", -1), 400);
        error(poll(linked.ifttt(), "device_turned_on", Map.of("device", lamp[1]), "limit", "many"), 400);
    }

    @Test
    void returnsFiftyEventsByDefault() {
        Linked linked = linked();
        String[] bell = device(linked.rest(), "Bell", "doorbell");
        for (int i = 0; i < 55; i++) {
            assertThat(linked.rest().post("/api/v1/devices/" + bell[0] + "/press", "{}").status()).isEqualTo(200);
        }

        assertThat(items(poll(linked.ifttt(), "doorbell_pressed", Map.of("device", bell[1])))).hasSize(50);
        assertThat(items(poll(linked.ifttt(), "doorbell_pressed", Map.of("device", bell[1]), "limit", 100))).hasSize(55);
    }

    @Test
    void seesChangesFromEverySource() {
        Linked linked = linked();
        String[] lamp = device(linked.rest(), "Lamp", "switch");
        set(linked.rest(), lamp[0], Map.of("power", true));
        assertThat(act(linked.ifttt(), "toggle_device", Map.of("device", lamp[1])).status()).isEqualTo(200);
        assertThat(act(linked.ifttt(), "toggle_device", Map.of("device", lamp[1])).status()).isEqualTo(200);

        List<JsonNode> items = items(poll(linked.ifttt(), "property_changed", Map.of("device", lamp[1], "property", "power")));

        assertThat(items).extracting(i -> i.path("source").asString()).containsExactly("ifttt", "ifttt", "api");
        assertThat(items).extracting(i -> i.path("value").asString()).containsExactly("true", "false", "true");
    }

    @Test
    void picksSensorTemperatureAndDoorbellEventsByTheirFields() {
        Linked linked = linked();
        String[] door = device(linked.rest(), "Door", "contact_sensor");
        String[] hall = device(linked.rest(), "Hall", "motion_sensor");
        String[] thermo = device(linked.rest(), "Thermo", "temperature_sensor");
        set(linked.rest(), door[0], Map.of("contact", "open"));
        set(linked.rest(), door[0], Map.of("contact", "closed"));
        set(linked.rest(), hall[0], Map.of("motion", "detected"));
        for (double t : new double[] {24, 26, 27, 22, 30}) {
            set(linked.rest(), thermo[0], Map.of("temperature", t));
        }

        assertThat(items(poll(linked.ifttt(), "sensor_state_changed", Map.of("device", door[1]))))
                .extracting(i -> i.path("value").asString()).containsExactly("closed", "open");
        assertThat(items(poll(linked.ifttt(), "sensor_state_changed", Map.of("device", door[1], "state", "open"))))
                .extracting(i -> i.path("value").asString()).containsExactly("open");
        assertThat(items(poll(linked.ifttt(), "sensor_state_changed", Map.of("device", hall[1], "state", "detected"))))
                .hasSize(1);
        // crossings only: 24 -> 26 and 22 -> 30 rise above 25; 27 -> 22 falls below it
        assertThat(items(poll(linked.ifttt(), "temperature_above", Map.of("device", thermo[1], "threshold", "25"))))
                .extracting(i -> i.path("value").asString()).containsExactly("30.0", "26.0");
        assertThat(items(poll(linked.ifttt(), "temperature_below", Map.of("device", thermo[1], "threshold", "25"))))
                .extracting(i -> i.path("previous_value").asString()).containsExactly("27.0");
        // a device of the wrong type has no such events
        assertThat(items(poll(linked.ifttt(), "temperature_above", Map.of("device", door[1], "threshold", "25"))))
                .isEmpty();
    }

    @Test
    void refusesMissingOrBadFieldsAndToleratesUnknownKeys() {
        Linked linked = linked();
        String[] lamp = device(linked.rest(), "Lamp", "switch");
        set(linked.rest(), lamp[0], Map.of("power", true));
        Api ifttt = linked.ifttt();

        error(ifttt.post("/ifttt/v1/triggers/device_turned_on", Map.of("limit", 5)), 400);
        error(ifttt.post("/ifttt/v1/triggers/device_turned_on", Map.of("triggerFields", "lamp")), 400);
        error(poll(ifttt, "device_turned_on", Map.of()), 400);
        error(poll(ifttt, "device_turned_on", Map.of("device", "")), 400);
        error(poll(ifttt, "temperature_above", Map.of("device", lamp[1], "threshold", "warm")), 400);
        error(poll(ifttt, "property_changed", Map.of("device", lamp[1], "property", "colour")), 400);
        error(poll(ifttt, "device_turned_on", Map.of("device", lamp[1]), "trigger_identity", 42), 400);
        error(ifttt.post("/ifttt/v1/triggers/device_turned_on", "{\"triggerFields\": {"), 400);
        error(ifttt.post("/ifttt/v1/triggers/device_turned_on", "[]"), 400);
        error(ifttt.post("/ifttt/v1/triggers/device_turned_on", ""), 400);

        // "with extra data": unknown keys anywhere are ignored
        List<JsonNode> items = items(ifttt.post("/ifttt/v1/triggers/device_turned_on", Map.of(
                "triggerFields", Map.of("device", lamp[1], "extra_field", "x"), "trigger_identity", identity(),
                "limit", 10, "random_key", Map.of("nested", List.of(1, 2)), "user", Map.of("timezone", "Europe/Paris"))));
        assertThat(items).hasSize(1);
        assertThat(items.get(0).path("changed_at").asString()).matches(".*\\+0[12]:00");
    }

    @Test
    void showsNothingOfAnotherUsersDevice() {
        Linked owner = linked();
        Linked other = linked();
        String[] lamp = device(owner.rest(), "Lamp", "switch");
        set(owner.rest(), lamp[0], Map.of("power", true));
        String id = identity();

        assertThat(items(poll(other.ifttt(), "device_turned_on", Map.of("device", lamp[1]), "trigger_identity", id)))
                .isEmpty();
        assertThat(other.ifttt().post("/ifttt/v1/triggers/device_turned_on/fields/device/validate",
                Map.of("value", lamp[1])).json().path("data").path("valid").asBoolean()).isFalse();
        assertThat(other.ifttt().post("/ifttt/v1/triggers/device_turned_on/fields/device/options", "{}").json()
                .path("data")).isEmpty();
        // the same identity string used by two users is two identities
        poll(owner.ifttt(), "device_turned_on", Map.of("device", lamp[1]), "trigger_identity", id);
        assertThat(other.ifttt().delete("/ifttt/v1/triggers/device_turned_on/trigger_identity/" + id).status())
                .isEqualTo(200);
        assertThat(owner.rest().get("/api/v1/ifttt").json().path("triggerIdentities").path("count").asInt()).isEqualTo(1);
    }

    @Test
    void storesTriggerIdentitiesUntilIftttDeletesThem() {
        Linked linked = linked();
        String[] lamp = device(linked.rest(), "Lamp", "switch");
        String id = identity();
        Api.Response before = linked.rest().get("/api/v1/ifttt");
        assertThat(before.json().path("connected").asBoolean()).isTrue();
        assertThat(before.json().path("triggerIdentities").path("count").asInt()).isZero();

        poll(linked.ifttt(), "device_turned_on", Map.of("device", lamp[1]), "trigger_identity", id);

        JsonNode overview = linked.rest().get("/api/v1/ifttt").json().path("triggerIdentities");
        assertThat(overview.path("count").asInt()).isEqualTo(1);
        assertThat(overview.path("lastPolledAt").isNull()).isFalse();
        assertThat(overview.path("items").get(0).path("triggerIdentity").asString()).isEqualTo(id);
        assertThat(overview.path("items").get(0).path("trigger").asString()).isEqualTo("device_turned_on");
        JsonNode activity = linked.rest().get("/api/v1/activity?action=ifttt_trigger").json();
        assertThat(activity.toString()).contains("ifttt_trigger").contains(id);

        Api.Response deleted = linked.ifttt().delete("/ifttt/v1/triggers/device_turned_on/trigger_identity/" + id);
        assertThat(deleted.status()).isEqualTo(200);
        assertThat(linked.ifttt().delete("/ifttt/v1/triggers/device_turned_on/trigger_identity/" + id).status())
                .isEqualTo(200);
        assertThat(linked.ifttt().delete("/ifttt/v1/triggers/device_turned_on/trigger_identity/never-seen").status())
                .isEqualTo(200);
        assertThat(linked.rest().get("/api/v1/ifttt").json().path("triggerIdentities").path("count").asInt()).isZero();
    }

    @Test
    void aPollDoesNotWaitForAnotherTransactionHoldingItsIdentity() throws Exception {
        Linked linked = linked();
        String[] lamp = device(linked.rest(), "Lamp", "switch");
        String id = identity();
        assertThat(poll(linked.ifttt(), "device_turned_on", Map.of("device", lamp[1]), "trigger_identity", id)
                .status()).isEqualTo(200);
        // the recorded poll and activity entry are old: the next poll is due for both
        superuser().sql("""
                update ifttt_trigger_subscriptions
                   set last_polled_at = now() - interval '1 hour', last_logged_at = now() - interval '1 hour'
                 where trigger_identity = :id""").param("id", id).update();
        try (Connection holder = TestDatabase.of(context).superuserConnection()) {
            holder.setAutoCommit(false);
            try (Statement st = holder.createStatement()) {
                st.execute("select 1 from ifttt_trigger_subscriptions where trigger_identity = '" + id
                        + "' for update");
            }
            // before: the poll's bookkeeping UPDATE queued behind the holder until it ended (or lock_timeout)
            Api.Response polled = CompletableFuture
                    .supplyAsync(() -> poll(linked.ifttt(), "device_turned_on", Map.of("device", lamp[1]),
                            "trigger_identity", id))
                    .get(60, TimeUnit.SECONDS);
            assertThat(polled.status()).as(polled.toString()).isEqualTo(200);
            holder.rollback();
        }
        // skipped, not lost: the next poll records the poll time and the activity entry
        assertThat(poll(linked.ifttt(), "device_turned_on", Map.of("device", lamp[1]), "trigger_identity", id)
                .status()).isEqualTo(200);
        Map<String, Object> row = superuser().sql("""
                select last_polled_at > now() - interval '10 minutes' as polled,
                       last_logged_at > now() - interval '10 minutes' as logged
                  from ifttt_trigger_subscriptions where trigger_identity = :id""").param("id", id)
                .query().singleRow();
        assertThat(row).containsEntry("polled", true).containsEntry("logged", true);
    }

    @Test
    void listsTheUsersDevicesOfTheFieldsTypesAsOptions() {
        Linked linked = linked();
        String[] lamp = device(linked.rest(), "Lamp", "switch");
        String[] dimmer = device(linked.rest(), "Dimmer", "dimmer");
        String[] door = device(linked.rest(), "Door", "contact_sensor");

        JsonNode onOff = linked.ifttt().post("/ifttt/v1/triggers/device_turned_on/fields/device/options", "{}")
                .json().path("data");
        JsonNode any = linked.ifttt().send("POST", "/ifttt/v1/triggers/property_changed/fields/device/options", null,
                Map.of()).json().path("data");
        JsonNode sensors = linked.ifttt().post("/ifttt/v1/actions/set_sensor_state/fields/device/options", "{}")
                .json().path("data");

        assertThat(onOff.toString()).contains(lamp[1]).contains(dimmer[1]).doesNotContain(door[1]);
        assertThat(onOff.get(0).path("label").asString()).isEqualTo("Dimmer");
        assertThat(any).hasSize(3);
        assertThat(sensors).hasSize(1);
        assertThat(sensors.get(0).path("value").asString()).isEqualTo(door[1]);
        JsonNode states = linked.ifttt().post("/ifttt/v1/actions/set_sensor_state/fields/state/options", "{}").json()
                .path("data");
        assertThat(states.toString()).contains("\"value\":\"open\"").contains("\"value\":\"not_detected\"");
        JsonNode types = linked.ifttt().post("/ifttt/v1/queries/list_devices/fields/type/options", "{}").json()
                .path("data");
        assertThat(types).hasSize(6);
    }

    @Test
    void validatesFieldsAndExplainsWhatIsWrong() {
        Linked linked = linked();
        String[] lamp = device(linked.rest(), "Lamp", "switch");
        String[] door = device(linked.rest(), "Door", "contact_sensor");
        String path = "/ifttt/v1/triggers/device_turned_on/fields/device/validate";

        assertThat(linked.ifttt().post(path, Map.of("value", lamp[1])).json().path("data").path("valid").asBoolean())
                .isTrue();
        JsonNode wrongType = linked.ifttt().post(path, Map.of("value", door[1])).json().path("data");
        assertThat(wrongType.path("valid").asBoolean()).isFalse();
        assertThat(wrongType.path("message").asString()).contains("contact sensor");
        assertThat(linked.ifttt().post(path, Map.of()).json().path("data").path("valid").asBoolean()).isFalse();
        assertThat(linked.ifttt().post(path, Map.of("value", List.of())).json().path("data").path("valid").asBoolean())
                .isFalse();
        assertThat(linked.ifttt().post("/ifttt/v1/triggers/temperature_above/fields/threshold/validate",
                Map.of("value", "21.5")).json().path("data").path("valid").asBoolean()).isTrue();
        assertThat(linked.ifttt().post("/ifttt/v1/triggers/temperature_above/fields/threshold/validate",
                Map.of("value", "2000")).json().path("data").path("valid").asBoolean()).isFalse();
        assertThat(linked.ifttt().post("/ifttt/v1/triggers/property_changed/fields/property/validate",
                Map.of("value", "")).json().path("data").path("valid").asBoolean()).isTrue();
        error(linked.ifttt().post(path, "{oops"), 400);

        // a deleted device: validation says so, its identities stop matching
        String id = identity();
        poll(linked.ifttt(), "device_turned_on", Map.of("device", lamp[1]), "trigger_identity", id);
        assertThat(linked.rest().delete("/api/v1/devices/" + lamp[0]).status()).isEqualTo(204);
        JsonNode gone = linked.ifttt().post(path, Map.of("value", lamp[1])).json().path("data");
        assertThat(gone.path("valid").asBoolean()).isFalse();
        assertThat(gone.path("message").asString()).contains("does not exist");
        org.awaitility.Awaitility.await().untilAsserted(() -> assertThat(linked.rest().get("/api/v1/ifttt").json()
                .path("triggerIdentities").path("items").get(0).path("enabled").asBoolean()).isFalse());
        assertThat(items(poll(linked.ifttt(), "device_turned_on", Map.of("device", lamp[1])))).isEmpty();
    }
}
