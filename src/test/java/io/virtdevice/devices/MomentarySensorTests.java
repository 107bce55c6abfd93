package io.virtdevice.devices;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.virtdevice.platform.tenancy.TenantScope;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.JsonNode;

/**
 * Momentary ("pulse") contact and motion sensors over real HTTP: the option on create, PATCH and GET; a
 * DETECTED from any source followed by NOT_DETECTED after the device's pulseSeconds, made by the
 * {@code devices.pulse-reset} task as a normal change (source {@code system}, an event, an activity entry);
 * a second pulse while DETECTED giving a fresh NOT_DETECTED-then-DETECTED edge; the explicit pulse action;
 * and a device marked offline and online again.
 */
@IntegrationTest
class MomentarySensorTests extends DeviceTests {

    private static final Duration PATIENCE = Duration.ofSeconds(20);

    @Autowired
    DeviceEventRecorder recorder;

    @Autowired
    DeviceManagement management;

    @Autowired
    PlatformTransactionManager transactions;

    @Test
    void theOptionIsSetOnCreationChangedByPatchAndShownInTheDevice() {
        Api api = api(fixtures().owner());
        Api.Response created = api.post("/api/v1/devices",
                Map.of("name", "Hall", "type", "motion_sensor", "momentary", true, "pulseSeconds", 3));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        assertThat(created.json().path("momentary").asBoolean()).isTrue();
        assertThat(created.json().path("pulseSeconds").asInt()).isEqualTo(3);
        assertThat(created.json().path("pulseResetAt").isNull()).isTrue();
        UUID id = UUID.fromString(created.json().path("id").asString());

        JsonNode plain = api.post("/api/v1/devices", Map.of("name", "Door", "type", "contact_sensor")).json();
        assertThat(plain.path("momentary").asBoolean()).isFalse();
        assertThat(plain.path("pulseSeconds").asInt()).isEqualTo(DeviceManagement.DEFAULT_PULSE_SECONDS);

        Api.Response patched = api.patch("/api/v1/devices/" + id, Map.of("momentary", false, "pulseSeconds", 3600));
        assertThat(patched.status()).as(patched.toString()).isEqualTo(200);
        JsonNode device = api.get("/api/v1/devices/" + id).json();
        assertThat(device.path("momentary").asBoolean()).isFalse();
        assertThat(device.path("pulseSeconds").asInt()).isEqualTo(3600);
        assertThat(device.path("version").asLong()).isEqualTo(2);
        DeviceStateChanged updated = recorder.of(id).getLast();
        assertThat(updated.kind()).isEqualTo(DeviceStateChanged.Kind.UPDATED);
        assertThat(updated.changes()).containsExactly(new DeviceStateChanged.Change("momentary", true, false),
                new DeviceStateChanged.Change("pulseSeconds", 3, 3600));
    }

    @Test
    void badOptionsAreRefusedWithAProblemAndChangeNothing() {
        Api api = api(fixtures().owner());
        UUID sensor = create(api, "Hall", "motion_sensor");
        UUID lamp = create(api, "Lamp", "switch");
        List<Map<String, Object>> refused = List.of(Map.of("pulseSeconds", 0), Map.of("pulseSeconds", 3601),
                Map.of("pulseSeconds", 2.5), Map.of("pulseSeconds", "10"), Map.of("pulseSeconds", 1L << 40),
                Map.of("momentary", "yes"), Map.of("momentary", 1), Map.of("online", "false"));
        for (Map<String, Object> body : refused) {
            Api.Response response = api.patch("/api/v1/devices/" + sensor, body);
            assertThat(response.status()).as(body + " " + response).isEqualTo(400);
            assertThat(response.header("Content-Type")).startsWith("application/problem+json");
        }
        Map<String, Object> nulls = new LinkedHashMap<>();
        nulls.put("momentary", null);
        assertThat(api.patch("/api/v1/devices/" + sensor, nulls).status()).isEqualTo(400);
        assertThat(api.patch("/api/v1/devices/" + lamp, Map.of("momentary", true)).status()).isEqualTo(400);
        assertThat(api.patch("/api/v1/devices/" + lamp, Map.of("pulseSeconds", 5)).status()).isEqualTo(400);
        assertThat(api.post("/api/v1/devices", Map.of("name", "Plug", "type", "switch", "momentary", true)).status())
                .isEqualTo(400);
        assertThat(api.post("/api/v1/devices", Map.of("name", "Bad", "type", "motion_sensor", "pulseSeconds", -1))
                .status()).isEqualTo(400);
        assertThat(version(api, sensor)).isEqualTo(1);
        assertThat(version(api, lamp)).isEqualTo(1);
        // a switch may be told it is not momentary (it never is)
        assertThat(api.patch("/api/v1/devices/" + lamp, Map.of("momentary", false)).status()).isEqualTo(200);
        assertThat(version(api, lamp)).isEqualTo(1);
    }

    @Test
    void aDetectedFromAnySourceResetsToNotDetectedAsASystemChange() {
        Fixtures.TestUser user = fixtures().owner();
        Api api = api(user);
        UUID id = momentary(api, "Hall", "motion_sensor", 1);

        Api.Response set = api.put("/api/v1/devices/" + id + "/properties", Map.of("motion", "detected"));
        assertThat(set.status()).as(set.toString()).isEqualTo(200);
        assertThat(value(set.json(), "motion")).isEqualTo("detected");
        Instant resetAt = Instant.parse(set.json().path("pulseResetAt").asString());
        assertThat(resetAt).isAfter(Instant.parse(set.json().path("properties").path("motion")
                .path("lastChangedAt").asString()));

        JsonNode after = awaitValue(api, id, "motion", "not_detected");
        assertThat(after.path("properties").path("motion").path("lastChangedBy").asString()).isEqualTo("system");
        assertThat(Instant.parse(after.path("properties").path("motion").path("lastChangedAt").asString()))
                .isAfterOrEqualTo(resetAt);
        assertThat(after.path("pulseResetAt").isNull()).isTrue();
        assertThat(after.path("version").asLong()).isEqualTo(3);
        // the recorder is a consumer of the relay: the reset's event reaches it after the reset committed
        await().atMost(Duration.ofSeconds(30)).until(() -> recorder.of(id).size() >= 3);
        List<DeviceStateChanged> events = recorder.of(id);
        assertThat(events).hasSize(3);
        assertThat(events.get(2).source()).isEqualTo(ChangeSource.SYSTEM);
        assertThat(events.get(2).kind()).isEqualTo(DeviceStateChanged.Kind.PROPERTY_CHANGED);
        assertThat(events.get(2).changes())
                .containsExactly(new DeviceStateChanged.Change("motion", "detected", "not_detected"));
        JsonNode activity = api.get("/api/v1/activity?deviceId=" + id + "&action=property_changed").json()
                .path("items");
        assertThat(activity.size()).isEqualTo(2);
        assertThat(activity.get(0).path("source").asString()).isEqualTo("system");
        assertThat(sql().count(user, "select count(*) from device_events where device_id = :id and source = 'system'",
                id)).isEqualTo(1);
        awaitNoPendingReset(id);
        assertThat(version(api, id)).isEqualTo(3);
    }

    @Test
    void aPulseWhileStillDetectedIsAFreshEdgeSoTheSameTriggerFiresTwice() {
        Fixtures.TestUser user = fixtures().owner();
        Api api = api(user);
        UUID id = momentary(api, "Front door", "contact_sensor", 3600);
        String link = api.post("/api/v1/devices/" + id + "/triggers", Map.of("name", "door", "property", "contact",
                "value", "open")).json().path("url").asString();
        String path = link.substring(link.indexOf("/t/"));
        Api anonymous = new Api(port);

        JsonNode first = anonymous.post(path, null).json().path("device");
        assertThat(value(first, "contact")).isEqualTo("open");
        JsonNode second = anonymous.post(path, null).json().path("device");

        assertThat(value(second, "contact")).isEqualTo("open");
        assertThat(second.path("version").asLong()).isEqualTo(first.path("version").asLong() + 2);
        assertThat(Instant.parse(second.path("pulseResetAt").asString()))
                .isAfterOrEqualTo(Instant.parse(first.path("pulseResetAt").asString()));
        List<DeviceStateChanged> events = recorder.of(id);
        assertThat(events).hasSize(4);
        assertThat(events.subList(1, 4)).extracting(DeviceStateChanged::source)
                .containsExactly(ChangeSource.TRIGGER, ChangeSource.SYSTEM, ChangeSource.TRIGGER);
        assertThat(events.subList(1, 4)).extracting(e -> e.changes().getFirst().newValue())
                .containsExactly("open", "closed", "open");
        assertThat(events.subList(1, 4)).extracting(DeviceStateChanged::version).containsExactly(2L, 3L, 4L);
        assertThat(events.get(2).row().seq()).isLessThan(events.get(3).row().seq());
        // one pending reset per pulse; the first one's finds a newer pulse under way and leaves it alone
        assertThat(pendingResets(id)).isEqualTo(2);
    }

    @Test
    void settingNotDetectedEndsThePulseAndTheResetThenChangesNothing() {
        Api api = api(fixtures().owner());
        UUID id = momentary(api, "Hall", "motion_sensor", 1);
        api.put("/api/v1/devices/" + id + "/properties", Map.of("motion", "detected"));

        JsonNode idle = api.put("/api/v1/devices/" + id + "/properties", Map.of("motion", "not_detected")).json();

        assertThat(idle.path("pulseResetAt").isNull()).isTrue();
        awaitNoPendingReset(id);
        assertThat(version(api, id)).isEqualTo(3);
        assertThat(recorder.of(id)).extracting(DeviceStateChanged::source)
                .containsExactly(ChangeSource.API, ChangeSource.API, ChangeSource.API);
    }

    @Test
    void thePulseActionPulsesAnyContactOrMotionSensorOnce() {
        Fixtures.TestUser user = fixtures().owner(5);
        Api api = api(user);
        UUID id = create(api, "Window", "contact_sensor");
        api.patch("/api/v1/devices/" + id, Map.of("pulseSeconds", 1));

        Api.Response pulsed = api.post("/api/v1/devices/" + id + "/pulse", null);

        assertThat(pulsed.status()).as(pulsed.toString()).isEqualTo(200);
        assertThat(pulsed.header("ETag")).isEqualTo("\"3\"");
        assertThat(value(pulsed.json(), "contact")).isEqualTo("open");
        assertThat(pulsed.json().path("momentary").asBoolean()).isFalse();
        JsonNode reset = awaitValue(api, id, "contact", "closed");
        assertThat(reset.path("properties").path("contact").path("lastChangedBy").asString()).isEqualTo("system");
        // not momentary: a plain DETECTED stays
        api.put("/api/v1/devices/" + id + "/properties", Map.of("contact", "open"));
        awaitNoPendingReset(id);
        assertThat(value(api.get("/api/v1/devices/" + id).json(), "contact")).isEqualTo("open");

        UUID lamp = create(api, "Lamp", "switch");
        Api.Response refused = api.post("/api/v1/devices/" + lamp + "/pulse", null);
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.header("Content-Type")).startsWith("application/problem+json");
        UUID thermometer = create(api, "Thermometer", "temperature_sensor");
        assertThat(api.post("/api/v1/devices/" + thermometer + "/pulse", null).status()).isEqualTo(400);
        Api stranger = api(fixtures().owner());
        assertThat(stranger.post("/api/v1/devices/" + id + "/pulse", null).status()).isEqualTo(404);
        assertThat(api.post("/api/v1/devices/" + UUID.randomUUID() + "/pulse", null).status()).isEqualTo(404);
    }

    @Test
    void aPulseThatRollsBackStagesNoReset() {
        Fixtures.TestUser user = fixtures().owner();
        UUID id = momentary(api(user), "Hall", "motion_sensor", 1);
        TransactionTemplate tx = new TransactionTemplate(transactions);

        assertThatThrownBy(() -> TenantScope.run(user.context(), () -> tx.executeWithoutResult(status -> {
            assertThat(management.pulse(id, ChangeSource.API).pulseResetAt()).isNotNull();
            assertThat(pendingResets(id)).isEqualTo(1);
            throw new IllegalStateException("roll back");
        }))).hasMessage("roll back");

        assertThat(pendingResets(id)).isZero();
        assertThat(version(api(user), id)).isEqualTo(1);
    }

    @Test
    void aDeletedSensorsPendingResetEndsQuietly() {
        Api api = api(fixtures().owner());
        UUID id = momentary(api, "Hall", "motion_sensor", 1);
        api.post("/api/v1/devices/" + id + "/pulse", null);

        assertThat(api.delete("/api/v1/devices/" + id).status()).isEqualTo(204);

        awaitNoPendingReset(id);
        assertThat(recorder.of(id).getLast().kind()).isEqualTo(DeviceStateChanged.Kind.DELETED);
    }

    @Test
    void aDeviceIsMarkedOfflineAndOnlineWithAnUpdatedEventEachTime() {
        Fixtures.TestUser user = fixtures().owner();
        Api api = api(user);
        UUID id = create(api, "Lamp", "switch");

        Api.Response offline = api.patch("/api/v1/devices/" + id, Map.of("online", false));

        assertThat(offline.status()).as(offline.toString()).isEqualTo(200);
        assertThat(offline.json().path("online").asBoolean()).isFalse();
        assertThat(api.get("/api/v1/devices/" + id).json().path("online").asBoolean()).isFalse();
        DeviceStateChanged event = recorder.of(id).getLast();
        assertThat(event.kind()).isEqualTo(DeviceStateChanged.Kind.UPDATED);
        assertThat(event.changes()).containsExactly(new DeviceStateChanged.Change("online", true, false));
        // still operable from every other source
        assertThat(api.put("/api/v1/devices/" + id + "/properties", Map.of("power", true)).status()).isEqualTo(200);
        // the same value again changes nothing
        assertThat(api.patch("/api/v1/devices/" + id, Map.of("online", false)).json().path("version").asLong())
                .isEqualTo(3);

        JsonNode online = api.patch("/api/v1/devices/" + id, Map.of("online", true)).json();

        assertThat(online.path("online").asBoolean()).isTrue();
        assertThat(recorder.of(id).getLast().changes())
                .containsExactly(new DeviceStateChanged.Change("online", false, true));
        JsonNode activity = api.get("/api/v1/activity?deviceId=" + id + "&action=device_updated").json().path("items");
        assertThat(activity.size()).isEqualTo(2);
        assertThat(sql().count(user,
                "select count(*) from device_events where device_id = :id and kind = 'device.updated'", id))
                .isEqualTo(2);
    }

    // ------------------------------------------------------------------------------------------------------

    private UUID momentary(Api api, String name, String type, int seconds) {
        Api.Response response = api.post("/api/v1/devices",
                Map.of("name", name, "type", type, "momentary", true, "pulseSeconds", seconds));
        assertThat(response.status()).as(response.toString()).isEqualTo(201);
        return UUID.fromString(response.json().path("id").asString());
    }

    private static String value(JsonNode device, String property) {
        return device.path("properties").path(property).path("value").asString();
    }

    private static JsonNode awaitValue(Api api, UUID id, String property, String expected) {
        JsonNode[] last = new JsonNode[1];
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(100)).until(() -> {
            last[0] = api.get("/api/v1/devices/" + id).json();
            return expected.equals(value(last[0], property));
        });
        return last[0];
    }

    private long pendingResets(UUID deviceId) {
        return JdbcClient.create(dataSource).sql("select count(*) from scheduled_tasks"
                        + " where task_name = 'devices.pulse-reset' and task_instance like :id")
                .param("id", deviceId + "@%").query(Long.class).single();
    }

    /** Waits until every reset staged for the device has run (and found its work done or moot). */
    private void awaitNoPendingReset(UUID id) {
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(100)).until(() -> pendingResets(id) == 0);
    }
}
