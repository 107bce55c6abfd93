package io.virtdevice.devices;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

@IntegrationTest
class DevicePropertyTests extends DeviceTests {

    private static final String EVENTS = "select count(*) from device_events where device_id = :id";
    private static final String ACTIVITY = "select count(*) from activity_logs where device_id = :id";

    @Autowired
    DeviceEventRecorder recorder;

    @Test
    void setsPropertiesAndRecordsExactlyOneEventActivityEntryAndSpringEvent() {
        Fixtures.TestUser user = fixtures().owner();
        Api api = api(user);
        UUID id = create(api, "Dimmer", "dimmer");
        assertThat(sql().count(user, EVENTS, id)).isEqualTo(1);
        assertThat(sql().count(user, ACTIVITY, id)).isEqualTo(1);
        assertThat(recorder.of(id)).hasSize(1);

        Api.Response response = api.put("/api/v1/devices/" + id + "/properties",
                Map.of("power", true, "brightness", 40));
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.header("ETag")).isEqualTo("\"2\"");
        JsonNode properties = response.json().path("properties");
        assertThat(properties.path("power").path("value").asBoolean()).isTrue();
        assertThat(properties.path("brightness").path("value").asInt()).isEqualTo(40);
        assertThat(properties.path("power").path("lastChangedBy").asString()).isEqualTo("api");

        assertThat(sql().count(user, EVENTS, id)).isEqualTo(2);
        assertThat(sql().count(user, ACTIVITY, id)).isEqualTo(2);
        List<DeviceStateChanged> events = recorder.of(id);
        assertThat(events).hasSize(2);
        DeviceStateChanged changed = events.get(1);
        assertThat(changed.kind()).isEqualTo(DeviceStateChanged.Kind.PROPERTY_CHANGED);
        assertThat(changed.source()).isEqualTo(ChangeSource.API);
        assertThat(changed.version()).isEqualTo(2);
        assertThat(changed.tenantId()).isEqualTo(user.tenantId());
        assertThat(changed.userId()).isEqualTo(user.userId());
        assertThat(changed.changes()).containsExactlyInAnyOrder(
                new DeviceStateChanged.Change("power", false, true),
                new DeviceStateChanged.Change("brightness", 100L, 40L));

        Map<String, Object> row = sql().as(user, jdbc -> jdbc.sql("""
                        select kind, source, device_version, changes::text as changes, snapshot::text as snapshot, id
                          from device_events where device_id = :id and device_version = 2
                        """).param("id", id).query().singleRow());
        assertThat(row.get("kind")).isEqualTo("property.changed");
        assertThat(row.get("source")).isEqualTo("api");
        assertThat(row.get("id")).isEqualTo(changed.eventId());
        assertThat((String) row.get("changes")).contains("\"property\": \"power\"", "\"old\": false", "\"new\": true");
        assertThat((String) row.get("snapshot")).isEqualTo("{\"power\": true, \"brightness\": 40}");
        Map<String, Object> activity = sql().as(user, jdbc -> jdbc.sql("""
                        select action, source, user_id from activity_logs
                         where device_id = :id order by created_at desc limit 1
                        """).param("id", id).query().singleRow());
        assertThat(activity).containsEntry("action", "property_changed").containsEntry("source", "api")
                .containsEntry("user_id", user.userId());
    }

    @Test
    void aWriteThatChangesNothingSucceedsWithoutAnEvent() {
        Fixtures.TestUser user = fixtures().owner();
        Api api = api(user);
        UUID id = create(api, "Switch", "switch");
        Api.Response response = api.put("/api/v1/devices/" + id + "/properties", Map.of("power", false));
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.json().path("version").asLong()).isEqualTo(1);
        assertThat(sql().count(user, EVENTS, id)).isEqualTo(1);
        assertThat(sql().count(user, ACTIVITY, id)).isEqualTo(1);
        assertThat(recorder.of(id)).hasSize(1);
    }

    @Test
    void onlyTheValuesThatDifferAreChanges() {
        Api api = api(fixtures().owner());
        UUID id = create(api, "Dimmer", "dimmer");
        api.put("/api/v1/devices/" + id + "/properties", Map.of("power", false, "brightness", 55));
        assertThat(recorder.of(id).get(1).changes())
                .containsExactly(new DeviceStateChanged.Change("brightness", 100L, 55L));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "switch | {\"power\": \"true\"}",
        "switch | {\"power\": 1}",
        "switch | {\"power\": null}",
        "dimmer | {\"brightness\": 40.5}",
        "dimmer | {\"brightness\": \"40\"}",
        "dimmer | {\"brightness\": 101}",
        "dimmer | {\"brightness\": -1}",
        "dimmer | {\"brightness\": 123456789012345678901234567890}",
        "temperature_sensor | {\"temperature\": \"21\"}",
        "temperature_sensor | {\"temperature\": -273.16}",
        "temperature_sensor | {\"temperature\": 1000.0001}",
        "temperature_sensor | {\"unit\": \"rankine\"}",
        "temperature_sensor | {\"unit\": \"Celsius\"}",
        "contact_sensor | {\"contact\": \"ajar\"}",
        "contact_sensor | {\"contact\": true}",
        "motion_sensor | {\"motion\": \"detected \"}",
        "doorbell | {\"press\": false}",
        "doorbell | {\"press\": \"2024-01-01T00:00:00Z\"}",
        "switch | {\"brightness\": 40}",
        "switch | {\"Power\": true}",
        "switch | {}",
        "switch | {\"power\": {\"on\": true}}",
        "switch | {\"power\": [true]}"
    })
    void refusesInvalidValuesAndWritesNothing(String type, String body) {
        Fixtures.TestUser user = fixtures().owner();
        Api api = api(user);
        UUID id = create(api, "Device", type);
        String before = api.get("/api/v1/devices/" + id).body();

        Api.Response response = api.put("/api/v1/devices/" + id + "/properties", body);
        assertThat(response.status()).as(response.toString()).isEqualTo(400);
        assertThat(response.header("Content-Type")).startsWith("application/problem+json");
        assertThat(api.get("/api/v1/devices/" + id).body()).isEqualTo(before);
        assertThat(sql().count(user, EVENTS, id)).isEqualTo(1);
        assertThat(recorder.of(id)).hasSize(1);
    }

    @Test
    void namesTheOffendingPropertyAndReason() {
        Api api = api(fixtures().owner());
        UUID id = create(api, "Dimmer", "dimmer");
        JsonNode unknown = api.put("/api/v1/devices/" + id + "/properties", Map.of("colour", "red")).json();
        assertThat(unknown.path("property").asString()).isEqualTo("colour");
        assertThat(unknown.path("reason").asString()).isEqualTo("unknown_property");
        assertThat(unknown.path("detail").asString()).contains("colour");
        JsonNode range = api.put("/api/v1/devices/" + id + "/properties", Map.of("brightness", 150)).json();
        assertThat(range.path("reason").asString()).isEqualTo("out_of_range");
        assertThat(range.path("detail").asString()).contains("brightness", "0", "100");
    }

    @Test
    void refusesAnOversizedStringValue() {
        Fixtures.TestUser user = fixtures().owner();
        Api api = api(user);
        UUID id = create(api, "Contact", "contact_sensor");
        Api.Response response = api.put("/api/v1/devices/" + id + "/properties", Map.of("contact", "o".repeat(2000)));
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.json().path("reason").asString()).isEqualTo("too_long");
        assertThat(version(api, id)).isEqualTo(1);
    }

    @Test
    void oneInvalidValueLeavesEveryOtherPropertyUntouched() {
        Fixtures.TestUser user = fixtures().owner();
        Api api = api(user);
        UUID id = create(api, "Dimmer", "dimmer");
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("power", true);
        body.put("brightness", 500);
        assertThat(api.put("/api/v1/devices/" + id + "/properties", body).status()).isEqualTo(400);
        JsonNode device = api.get("/api/v1/devices/" + id).json();
        assertThat(device.path("properties").path("power").path("value").asBoolean()).isFalse();
        assertThat(device.path("version").asLong()).isEqualTo(1);
        assertThat(sql().count(user, EVENTS, id)).isEqualTo(1);
    }

    @Test
    void acceptsValidValuesOfEveryType() {
        Api api = api(fixtures().owner(10));
        UUID thermo = create(api, "Thermo", "temperature_sensor");
        JsonNode t = api.put("/api/v1/devices/" + thermo + "/properties", Map.of("temperature", -273.15)).json();
        assertThat(t.path("properties").path("temperature").path("value").asDouble()).isEqualTo(-273.15);
        t = api.put("/api/v1/devices/" + thermo + "/properties", Map.of("temperature", 21)).json();
        assertThat(t.path("properties").path("temperature").path("value").asDouble()).isEqualTo(21.0);

        UUID contact = create(api, "Door", "contact_sensor");
        assertThat(api.put("/api/v1/devices/" + contact + "/properties", Map.of("contact", "open")).json()
                .path("properties").path("contact").path("value").asString()).isEqualTo("open");
        UUID motion = create(api, "Hall", "motion_sensor");
        assertThat(api.put("/api/v1/devices/" + motion + "/properties", Map.of("motion", "detected")).json()
                .path("properties").path("motion").path("value").asString()).isEqualTo("detected");
        UUID dimmer = create(api, "Dimmer", "dimmer");
        assertThat(api.put("/api/v1/devices/" + dimmer + "/properties", Map.of("brightness", 0)).json()
                .path("properties").path("brightness").path("value").asInt()).isZero();
    }

    @Test
    void settingBrightnessDoesNotSwitchAnOffDimmerOn() {
        Api api = api(fixtures().owner());
        UUID id = create(api, "Dimmer", "dimmer");
        JsonNode properties = api.put("/api/v1/devices/" + id + "/properties", Map.of("brightness", 30)).json()
                .path("properties");
        assertThat(properties.path("power").path("value").asBoolean()).isFalse();
        assertThat(properties.path("brightness").path("value").asInt()).isEqualTo(30);
    }

    @Test
    void pressesADoorbellEveryTime() {
        Fixtures.TestUser user = fixtures().owner();
        Api api = api(user);
        UUID id = create(api, "Front door", "doorbell");
        Api.Response first = api.post("/api/v1/devices/" + id + "/press", null);
        assertThat(first.status()).isEqualTo(200);
        String pressedAt = first.json().path("properties").path("press").path("value").asString();
        assertThat(Instant.parse(pressedAt)).isBefore(Instant.now().plusSeconds(5));
        Api.Response second = api.put("/api/v1/devices/" + id + "/properties", Map.of("press", true));
        assertThat(second.json().path("version").asLong()).isEqualTo(3);

        assertThat(sql().count(user, EVENTS, id)).isEqualTo(3);
        assertThat(recorder.of(id)).extracting(DeviceStateChanged::kind).containsExactly(
                DeviceStateChanged.Kind.CREATED, DeviceStateChanged.Kind.DOORBELL_PRESSED,
                DeviceStateChanged.Kind.DOORBELL_PRESSED);
        assertThat(sql().count(user, "select count(*) from activity_logs where device_id = :id and action = 'doorbell_pressed'",
                id)).isEqualTo(2);
    }

    @Test
    void onlyDoorbellsCanBePressed() {
        Api api = api(fixtures().owner());
        UUID id = create(api, "Switch", "switch");
        Api.Response response = api.post("/api/v1/devices/" + id + "/press", null);
        assertThat(response.status()).isEqualTo(400);
        assertThat(version(api, id)).isEqualTo(1);
    }

    @Test
    void publishesOneEventPerOperationOfEveryKind() {
        Api api = api(fixtures().owner());
        UUID id = create(api, "Lamp", "switch");
        api.patch("/api/v1/devices/" + id, Map.of("name", "Lamp 2"));
        api.put("/api/v1/devices/" + id + "/properties", Map.of("power", true));
        api.delete("/api/v1/devices/" + id);
        List<DeviceStateChanged> events = recorder.of(id);
        assertThat(events).extracting(DeviceStateChanged::kind).containsExactly(DeviceStateChanged.Kind.CREATED,
                DeviceStateChanged.Kind.UPDATED, DeviceStateChanged.Kind.PROPERTY_CHANGED,
                DeviceStateChanged.Kind.DELETED);
        assertThat(events).extracting(DeviceStateChanged::version).containsExactly(1L, 2L, 3L, 4L);
        assertThat(events.get(1).changes()).containsExactly(new DeviceStateChanged.Change("name", "Lamp", "Lamp 2"));
    }

    @Test
    void concurrentUpdatesSerialiseIntoConsecutiveVersions() throws Exception {
        Fixtures.TestUser user = fixtures().owner();
        Api api = api(user);
        UUID id = create(api, "Dimmer", "dimmer");
        int writers = 10;
        var pool = java.util.concurrent.Executors.newFixedThreadPool(writers);
        try {
            List<java.util.concurrent.Future<Integer>> results = new java.util.ArrayList<>();
            for (int i = 0; i < writers; i++) {
                int brightness = i;
                results.add(pool.submit(() -> api(user).put("/api/v1/devices/" + id + "/properties",
                        Map.of("brightness", brightness)).status()));
            }
            for (var result : results) {
                assertThat(result.get()).isEqualTo(200);
            }
        } finally {
            pool.shutdown();
        }
        assertThat(version(api, id)).isEqualTo(1 + writers);
        List<Long> versions = sql().as(user, jdbc -> jdbc.sql(
                "select device_version from device_events where device_id = :id order by seq")
                .param("id", id).query(Long.class).list());
        assertThat(versions).hasSize(1 + writers);
        assertThat(versions).isSorted().doesNotHaveDuplicates();
    }
}
