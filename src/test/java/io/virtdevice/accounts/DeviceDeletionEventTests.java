package io.virtdevice.accounts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.virtdevice.events.DeviceEvent;
import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.env.Environment;
import tools.jackson.databind.JsonNode;

/**
 * A device that goes away, whichever way it goes (its own delete, its user's account deletion, its user's
 * removal from the team), leaves a {@code device.deleted} event that still names it the way every
 * integration knows it (id, Alexa endpoint id, IFTTT device id, type, name) after the device row and even
 * its user are gone, and that event reaches the change-event consumers.
 */
@IntegrationTest
class DeviceDeletionEventTests {

    @LocalServerPort
    int port;

    @Autowired
    Environment environment;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    @Autowired
    DeletedDeviceRecorder consumers;

    TestAccounts accounts;

    @BeforeEach
    void setUp() {
        accounts = new TestAccounts(port, environment, dataSource, hasher);
    }

    @Test
    void aDeleteEventNamesTheDeviceAfterItsRowIsGone() {
        Fixtures.TestUser owner = accounts.fixtures.owner();
        Api key = new Api(port).bearer(owner.apiKey());
        JsonNode device = key.post("/api/v1/devices", Map.of("name", "Hall light", "type", "dimmer")).json();
        UUID id = UUID.fromString(device.path("id").asString());

        assertThat(key.delete("/api/v1/devices/" + id).status()).isEqualTo(204);

        assertThat(accounts.count("select count(*) from devices where id = ?", id)).isZero();
        assertDeletedEvent(id, device, "api");
    }

    @Test
    void deletingAnAccountDeletesEachDeviceWithItsEvent() {
        Fixtures.TestUser owner = accounts.fixtures.owner();
        Api api = accounts.signedIn(owner.email(), Fixtures.PASSWORD);
        Api key = new Api(port).bearer(owner.apiKey());
        JsonNode lamp = key.post("/api/v1/devices", Map.of("name", "Lamp", "type", "switch")).json();
        JsonNode bell = key.post("/api/v1/devices", Map.of("name", "Bell", "type", "doorbell")).json();

        Api.Response deleted = api.send("DELETE", "/api/v1/account", Map.of("password", Fixtures.PASSWORD), Map.of());

        assertThat(deleted.status()).as(deleted.toString()).isEqualTo(204);
        assertThat(accounts.count("select count(*) from users where id = ?", owner.userId())).isZero();
        assertThat(accounts.count("select count(*) from tenants where id = ?", owner.tenantId())).isZero();
        assertDeletedEvent(UUID.fromString(lamp.path("id").asString()), lamp, "web");
        assertDeletedEvent(UUID.fromString(bell.path("id").asString()), bell, "web");
        // the events that came before stay too (a consumer may not have processed them yet)
        assertThat(accounts.count("select count(*) from device_events where user_id = ? and kind = 'device.created'",
                owner.userId())).isEqualTo(2);
    }

    @Test
    void removingAMemberDeletesEachOfTheirDevicesWithItsEvent() {
        Fixtures.TestUser owner = accounts.fixtures.owner();
        Api ownerApi = accounts.signedIn(owner.email(), Fixtures.PASSWORD);
        TestAccounts.Joined member = accounts.invite(ownerApi, "member");
        Api memberKey = new Api(port).bearer(accounts.fixtures.apiKey(
                new Fixtures.TestUser(owner.tenantId(), member.id(), member.email(), null), List.of("read", "write")));
        JsonNode sensor = memberKey.post("/api/v1/devices", Map.of("name", "Door", "type", "contact_sensor")).json();
        UUID id = UUID.fromString(sensor.path("id").asString());

        Api.Response removed = ownerApi.delete("/api/v1/team/members/" + member.id());

        assertThat(removed.status()).as(removed.toString()).isEqualTo(204);
        assertThat(accounts.count("select count(*) from users where id = ?", member.id())).isZero();
        assertDeletedEvent(id, sensor, "system");
        // the owner's own devices are untouched
        assertThat(accounts.count("select count(*) from device_events where user_id = ? and kind = 'device.deleted'",
                owner.userId())).isZero();
    }

    @Test
    void aRefusedRemovalDeletesNoDevice() {
        Fixtures.TestUser owner = accounts.fixtures.owner();
        Api ownerApi = accounts.signedIn(owner.email(), Fixtures.PASSWORD);
        TestAccounts.Joined member = accounts.invite(ownerApi, "member");
        TestAccounts.Joined other = accounts.invite(ownerApi, "member");
        Api otherKey = new Api(port).bearer(accounts.fixtures.apiKey(
                new Fixtures.TestUser(owner.tenantId(), other.id(), other.email(), null), List.of("read", "write")));
        UUID id = UUID.fromString(otherKey.post("/api/v1/devices", Map.of("name", "Fan", "type", "switch"))
                .json().path("id").asString());

        // a plain member may not remove anybody: nothing of the other member's goes
        assertThat(member.api().delete("/api/v1/team/members/" + other.id()).status()).isEqualTo(403);

        assertThat(accounts.count("select count(*) from devices where id = ?", id)).isEqualTo(1);
        assertThat(accounts.count("select count(*) from device_events where device_id = ? and kind = 'device.deleted'",
                id)).isZero();
    }

    /** The stored row and the event the consumers were handed both name the device that is gone. */
    private void assertDeletedEvent(UUID id, JsonNode device, String source) {
        assertThat(accounts.count("""
                        select count(*) from device_events
                         where device_id = ? and kind = 'device.deleted' and source = ? and device_name = ?
                           and device_type = ? and alexa_endpoint_id = ? and ifttt_device_id = ?
                        """, id, source, device.path("name").asString(), device.path("type").asString(),
                device.path("alexaEndpointId").asString(), device.path("iftttDeviceId").asString()))
                .isEqualTo(1);
        DeviceEvent event = await().atMost(Duration.ofSeconds(15))
                .until(() -> consumers.deleted(id).orElse(null), e -> e != null);
        assertThat(event.deviceName()).isEqualTo(device.path("name").asString());
        assertThat(event.deviceType()).isEqualTo(device.path("type").asString());
        assertThat(event.alexaEndpointId()).isEqualTo(device.path("alexaEndpointId").asString());
        assertThat(event.iftttDeviceId()).isEqualTo(device.path("iftttDeviceId").asString());
        // what webhooks and live streams send
        @SuppressWarnings("unchecked")
        Map<String, Object> body = (Map<String, Object>) event.body().get("device");
        assertThat(body).containsEntry("id", id).containsEntry("name", device.path("name").asString())
                .containsEntry("type", device.path("type").asString())
                .containsEntry("alexaEndpointId", device.path("alexaEndpointId").asString())
                .containsEntry("iftttDeviceId", device.path("iftttDeviceId").asString());
    }
}
