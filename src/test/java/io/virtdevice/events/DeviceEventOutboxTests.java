package io.virtdevice.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.devices.ChangeSource;
import io.virtdevice.devices.Device;
import io.virtdevice.devices.DeviceManagement;
import io.virtdevice.devices.DeviceType;
import io.virtdevice.devices.NewDevice;
import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.platform.tenancy.TenantScope;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.WebhookReceiver;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.node.JsonNodeFactory;

/** The outbox: the dispatch task exists exactly when the change committed. */
@IntegrationTest
class DeviceEventOutboxTests {

    @LocalServerPort
    int port;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    @Autowired
    DeviceManagement devices;

    @Autowired
    PlatformTransactionManager transactionManager;

    @Autowired
    JdbcClient jdbc;

    @Test
    void aRolledBackChangeLeavesNoTaskAndIsNeverDelivered() {
        Fixtures.TestUser user = new Fixtures(dataSource, hasher).owner();
        TransactionTemplate tx = new TransactionTemplate(transactionManager);
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            Api api = new Api(port).bearer(user.apiKey());
            receiver.trust(api.post("/api/v1/webhooks", Map.of("url", receiver.url("/outbox"),
                    "events", java.util.List.of("property.changed"))).json().path("secret").asString());
            Device device = TenantScope.call(user.context(), () -> tx.execute(s ->
                    devices.create(new NewDevice("Lamp", DeviceType.SWITCH, null, null), ChangeSource.API)));

            UUID rolledBack = TenantScope.call(user.context(), () -> tx.execute(status -> {
                devices.setProperties(device.id(), Map.of("power", JsonNodeFactory.instance.booleanNode(true)), null,
                        ChangeSource.API);
                UUID event = jdbc.sql("select id from device_events where device_id = :d order by seq desc limit 1")
                        .param("d", device.id())
                        .query(UUID.class)
                        .single();
                // inside the change's transaction the task is already there...
                assertThat(dispatchTasks(event)).isEqualTo(1);
                status.setRollbackOnly();
                return event;
            }));
            // ...and it went away with the rollback
            assertThat(dispatchTasks(rolledBack)).isZero();
            Long stored = TenantScope.call(user.context(), () -> tx.execute(s -> jdbc
                    .sql("select count(*) from device_events where id = :id").param("id", rolledBack)
                    .query(Long.class).single()));
            assertThat(stored).isZero();

            Device changed = TenantScope.call(user.context(), () -> tx.execute(s -> devices.setProperties(device.id(),
                    Map.of("power", JsonNodeFactory.instance.booleanNode(true)), null, ChangeSource.API)));
            WebhookReceiver.Delivery delivery = receiver.await(1, Duration.ofSeconds(10)).get(0);
            assertThat(delivery.signatureValid()).isTrue();
            assertThat(delivery.json().path("version").asLong()).isEqualTo(changed.version());
            assertThat(delivery.json().path("id").asString()).isNotEqualTo(rolledBack.toString());
            sleep(800);
            assertThat(receiver.deliveries()).hasSize(1);
        }
    }

    @Test
    void theDispatchTaskIsGoneOnceItRan() {
        Fixtures.TestUser user = new Fixtures(dataSource, hasher).owner();
        Api api = new Api(port).bearer(user.apiKey());
        api.post("/api/v1/devices", Map.of("name", "Quick", "type", "switch"));
        UUID id = TenantScope.call(user.context(), () -> new TransactionTemplate(transactionManager).execute(s -> jdbc
                .sql("select id from device_events where user_id = :u").param("u", user.userId())
                .query(UUID.class).single()));
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (dispatchTasks(id) > 0 && System.nanoTime() < end) {
            sleep(50);
        }
        assertThat(dispatchTasks(id)).isZero();
    }

    private long dispatchTasks(UUID eventId) {
        return jdbc.sql("select count(*) from scheduled_tasks where task_name = 'events.dispatch' and task_instance = :id")
                .param("id", eventId.toString())
                .query(Long.class)
                .single();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
