package io.virtdevice.platform.database;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.platform.tenancy.TenantScope;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.Fixtures.TestUser;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Every committed device event wakes listeners on channel {@code device_events} with a small payload of
 * ids only (D-15): a change set of any allowed size cannot make the write fail, and a rolled-back write
 * wakes nobody.
 */
@IntegrationTest
class DeviceEventNotificationTests {

    private static final String INSERT_EVENT = """
            insert into device_events (tenant_id, user_id, device_id, kind, source, device_version, changes)
            values (:t, :u, :d, 'property.changed', 'api', 2, cast(:changes as jsonb)) returning id
            """;

    @Autowired
    ApplicationContext context;

    @Autowired
    PasswordHasher hasher;

    TestDatabase db;
    TestUser user;
    UUID device;
    Connection listener;
    final List<JsonNode> received = new ArrayList<>();

    @BeforeEach
    void listenAsAPlainConnection() throws Exception {
        db = TestDatabase.of(context);
        user = new Fixtures(db.dataSource(), hasher).owner();
        device = TenantRows.seed(db.superuser(), user).deviceId();
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
    void notifiesIdsOnlyAfterCommitEvenForALargeChangeSet() throws Exception {
        // far beyond NOTIFY's 8000-byte payload limit, within the column's 64 KiB bound
        String changes = "[" + String.join(",", Collections.nCopies(400,
                "{\"property\":\"label\",\"old\":\"" + "o".repeat(40) + "\",\"new\":\"" + "n".repeat(40) + "\"}")) + "]";
        assertThat(changes.length()).isGreaterThan(30_000);

        UUID event = insertEvent(changes);

        JsonNode payload = awaitNotification(event, 5_000);
        assertThat(payload).as("notification for " + event).isNotNull();
        assertThat(payload.toString().length()).isLessThan(300);
        assertThat(payload.propertyNames()).containsExactlyInAnyOrder("id", "seq", "user_id", "device_id");
        assertThat(payload.path("user_id").asString()).isEqualTo(user.userId().toString());
        assertThat(payload.path("device_id").asString()).isEqualTo(device.toString());
    }

    @Test
    void sendsNothingForARolledBackEvent() throws Exception {
        UUID[] rolledBack = new UUID[1];
        TenantScope.run(user.context(), () -> db.transactions().executeWithoutResult(status -> {
            rolledBack[0] = db.appWithoutTransaction().sql(INSERT_EVENT).param("t", user.tenantId())
                    .param("u", user.userId()).param("d", device).param("changes", "[]")
                    .query(UUID.class).single();
            status.setRollbackOnly();
        }));
        UUID committed = insertEvent("[]");

        // the committed event after it arrives, so the rolled-back one would have arrived by then
        assertThat(awaitNotification(committed, 5_000)).isNotNull();
        assertThat(received).noneMatch(n -> n.path("id").asString().equals(rolledBack[0].toString()));
    }

    private UUID insertEvent(String changes) {
        return db.as(user.context(), jdbc -> jdbc.sql(INSERT_EVENT).param("t", user.tenantId())
                .param("u", user.userId()).param("d", device).param("changes", changes)
                .query(UUID.class).single());
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
