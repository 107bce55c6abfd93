package io.virtdevice.platform.database;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.devices.ChangeSource;
import io.virtdevice.devices.DeviceManagement;
import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.platform.tenancy.TenantScope;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.Fixtures.TestUser;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.BooleanNode;

/**
 * Every committed device change wakes listeners on channel {@code device_events} with a small payload of
 * ids only (D-15), sent after commit outside the write transaction; a rolled-back change wakes nobody,
 * and nothing in the write path can fail because of a notification.
 */
@IntegrationTest
class DeviceEventNotificationTests {

    @LocalServerPort
    int port;

    @Autowired
    ApplicationContext context;

    @Autowired
    PasswordHasher hasher;

    @Autowired
    DeviceManagement devices;

    TestDatabase db;
    TestUser user;
    UUID device;
    Connection listener;
    final List<JsonNode> received = new ArrayList<>();

    @BeforeEach
    void listenAsAPlainConnection() throws Exception {
        db = TestDatabase.of(context);
        user = new Fixtures(db.dataSource(), hasher).owner();
        device = UUID.fromString(new Api(port).bearer(user.apiKey())
                .post("/api/v1/devices", Map.of("name", "Notified", "type", "dimmer"))
                .json().path("id").asString());
        listener = db.superuserConnection();
        try (Statement st = listener.createStatement()) {
            st.execute("LISTEN device_events");
        }
    }

    @AfterEach
    void close() throws Exception {
        listener.close();
    }

    @Test
    void notifiesIdsOnlyAfterCommit() throws Exception {
        Api.Response changed = new Api(port).bearer(user.apiKey())
                .put("/api/v1/devices/" + device + "/properties", Map.of("power", true, "brightness", 42));
        assertThat(changed.status()).isEqualTo(200);
        UUID event = latestEvent();

        JsonNode payload = awaitNotification(event, 5_000);
        assertThat(payload).as("notification for " + event).isNotNull();
        assertThat(payload.toString().length()).isLessThan(300);
        assertThat(payload.propertyNames()).containsExactlyInAnyOrder("id", "tenant_id", "user_id", "device_id");
        assertThat(payload.path("user_id").asString()).isEqualTo(user.userId().toString());
        assertThat(payload.path("tenant_id").asString()).isEqualTo(user.tenantId().toString());
        assertThat(payload.path("device_id").asString()).isEqualTo(device.toString());
    }

    @Test
    void sendsNothingForARolledBackChange() throws Exception {
        UUID creation = latestEvent();
        TenantScope.run(user.context(), () -> db.transactions().executeWithoutResult(status -> {
            devices.setProperties(device, Map.of("power", BooleanNode.TRUE), null, ChangeSource.API);
            status.setRollbackOnly();
        }));
        assertThat(latestEvent()).as("the rolled-back change left no event").isEqualTo(creation);
        assertThat(new Api(port).bearer(user.apiKey())
                .put("/api/v1/devices/" + device + "/properties", Map.of("brightness", 7)).status()).isEqualTo(200);
        UUID committed = latestEvent();

        // the committed change's notification after it arrives, so a rolled-back one would have arrived by then;
        // the creation's own notification may or may not have raced ahead of LISTEN
        assertThat(awaitNotification(committed, 5_000)).isNotNull();
        assertThat(received).extracting(n -> UUID.fromString(n.path("id").asString()))
                .isSubsetOf(creation, committed);
    }

    private UUID latestEvent() {
        return db.as(user.context(), jdbc -> jdbc.sql(
                        "select id from device_events where device_id = :d order by seq desc limit 1")
                .param("d", device).query(UUID.class).single());
    }

    private JsonNode awaitNotification(UUID event, long timeoutMillis) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        PGConnection pg = listener.unwrap(PGConnection.class);
        while (System.currentTimeMillis() < deadline) {
            PGNotification[] batch = pg.getNotifications(500);
            for (PGNotification n : batch == null ? new PGNotification[0] : batch) {
                assertThat(n.getName()).isEqualTo("device_events");
                JsonNode json = JsonMapper.builder().build().readTree(n.getParameter());
                received.add(json);
                if (json.path("id").asString().equals(event.toString())) {
                    return json;
                }
            }
        }
        return null;
    }
}
