package io.virtdevice.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * The outbox: {@code device_events} rows are dispatched exactly when their change committed, in commit
 * order, and the cursor never passes a change that has yet to commit.
 */
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
    void aRolledBackChangeIsNeverDelivered() {
        Fixtures.TestUser user = new Fixtures(dataSource, hasher).owner();
        TransactionTemplate tx = new TransactionTemplate(transactionManager);
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            Api api = new Api(port).bearer(user.apiKey());
            receiver.trust(api.post("/api/v1/webhooks", Map.of("url", receiver.url("/outbox"),
                    "events", List.of("property.changed"))).json().path("secret").asString());
            Device device = TenantScope.call(user.context(), () -> tx.execute(s ->
                    devices.create(new NewDevice("Lamp", DeviceType.SWITCH, null, null), ChangeSource.API)));

            UUID rolledBack = TenantScope.call(user.context(), () -> tx.execute(status -> {
                devices.setProperties(device.id(), Map.of("power", JsonNodeFactory.instance.booleanNode(true)), null,
                        ChangeSource.API);
                UUID event = jdbc.sql("select id from device_events where device_id = :d order by seq desc limit 1")
                        .param("d", device.id())
                        .query(UUID.class)
                        .single();
                // while the change is uncommitted no consumer's position passes it
                assertThat(behindAnyPosition(event)).isFalse();
                status.setRollbackOnly();
                return event;
            }));
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
            receiver.assertStaysAt(1, Duration.ofMillis(800));
        }
    }

    @Test
    void theCursorPassesEachEventOnceItIsDispatched() {
        Fixtures.TestUser user = new Fixtures(dataSource, hasher).owner();
        Api api = new Api(port).bearer(user.apiKey());
        api.post("/api/v1/devices", Map.of("name", "Quick", "type", "switch"));
        UUID id = TenantScope.call(user.context(), () -> new TransactionTemplate(transactionManager).execute(s -> jdbc
                .sql("select id from device_events where user_id = :u").param("u", user.userId())
                .query(UUID.class).single()));
        await().atMost(Duration.ofSeconds(10)).until(() -> behindCursor(user, id));
    }

    /**
     * The reason for ordering by transaction: a change that started first but commits last must not be
     * skipped by a cursor that already moved past a change committed meanwhile.
     */
    @Test
    void aChangeStillInFlightHoldsBackLaterOnesAndIsNotSkipped() throws Exception {
        Fixtures.TestUser user = new Fixtures(dataSource, hasher).owner();
        TransactionTemplate tx = new TransactionTemplate(transactionManager);
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            Api api = new Api(port).bearer(user.apiKey());
            receiver.trust(api.post("/api/v1/webhooks", Map.of("url", receiver.url("/order"),
                    "events", List.of("property.changed"))).json().path("secret").asString());
            UUID slow = UUID.fromString(api.post("/api/v1/devices", Map.of("name", "Slow", "type", "switch"))
                    .json().path("id").asString());
            UUID quick = UUID.fromString(api.post("/api/v1/devices", Map.of("name", "Quick", "type", "switch"))
                    .json().path("id").asString());

            CountDownLatch written = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Runnable slowChange = () -> tx.executeWithoutResult(s -> {
                devices.setProperties(slow, Map.of("power", JsonNodeFactory.instance.booleanNode(true)), null,
                        ChangeSource.API);
                written.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            Thread first = Thread.ofPlatform().start(() -> TenantScope.run(user.context(), slowChange));
            assertThat(written.await(10, TimeUnit.SECONDS)).isTrue();
            // the second change starts later and commits first
            assertThat(api.put("/api/v1/devices/" + quick + "/properties", Map.of("power", true)).status())
                    .isEqualTo(200);
            receiver.assertStaysAt(0, Duration.ofMillis(1_500)); // held back behind the open change

            release.countDown();
            first.join(10_000);
            List<WebhookReceiver.Delivery> delivered = receiver.await(2, Duration.ofSeconds(10));
            assertThat(delivered).extracting(d -> d.json().path("device").path("id").asString())
                    .containsExactlyInAnyOrder(slow.toString(), quick.toString());
            assertThat(delivered).allMatch(WebhookReceiver.Delivery::signatureValid);
        }
    }

    /**
     * See {@link io.virtdevice.testing.FailingConsumer}: it refuses poison-* devices and fails flaky-* once. The
     * webhooks consumer is not affected by either; the failing consumer retries flaky-* and gives poison-* up.
     */
    @Test
    void anEventThatKeepsFailingIsGivenUpByItsConsumerOnlyAndOneThatFailsOnceIsRetried() {
        Fixtures.TestUser user = new Fixtures(dataSource, hasher).owner();
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            Api api = new Api(port).bearer(user.apiKey());
            receiver.trust(api.post("/api/v1/webhooks", Map.of("url", receiver.url("/failures"),
                    "events", List.of("device.created", "property.changed"))).json().path("secret").asString());
            assertThat(api.post("/api/v1/devices", Map.of("name", "poison-lamp", "type", "switch")).status())
                    .isEqualTo(201);
            String flaky = api.post("/api/v1/devices", Map.of("name", "flaky-lamp", "type", "switch"))
                    .json().path("id").asString();
            assertThat(api.put("/api/v1/devices/" + flaky + "/properties", Map.of("power", true)).status())
                    .isEqualTo(200);

            List<WebhookReceiver.Delivery> delivered = receiver.await(3, Duration.ofSeconds(20));
            receiver.assertStaysAt(3, Duration.ofMillis(1_000));
            assertThat(delivered).extracting(d -> d.json().path("device").path("name").asString())
                    .containsExactlyInAnyOrder("poison-lamp", "flaky-lamp", "flaky-lamp");
            UUID poison = TenantScope.call(user.context(), () -> new TransactionTemplate(transactionManager)
                    .execute(s -> jdbc.sql("select id from device_events where device_name = 'poison-lamp'")
                            .query(UUID.class).single()));
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                    assertThat(api.get("/api/v1/event-failures").json().path("items").findValuesAsString("status"))
                            .containsExactly("dead"));
            assertThat(api.get("/api/v1/event-failures").json().path("items").get(0).path("eventId").asString())
                    .isEqualTo(poison.toString());
            assertThat(behindCursor(user, poison)).isTrue();
            assertThat(receiver.deliveries()).hasSize(3);
        }
    }

    @Test
    void theClusterWideRelayTaskRunsOnSchedule() {
        java.time.Instant first = relayLastSuccess();
        await("events.relay ran (again)").atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200))
                .until(() -> relayLastSuccess() != null && !relayLastSuccess().equals(first));
        assertThat(jdbc.sql("select count(*) from scheduled_tasks where task_name = 'events.relay'")
                .query(Long.class).single()).isEqualTo(1);
    }

    private java.time.Instant relayLastSuccess() {
        return jdbc.sql("select last_success from scheduled_tasks where task_name = 'events.relay'")
                .query(java.sql.Timestamp.class)
                .optional()
                .map(java.sql.Timestamp::toInstant)
                .orElse(null);
    }

    private boolean behindAnyPosition(UUID eventId) {
        return jdbc.sql("""
                        select coalesce(bool_or(e.seq <= c.seq), false)
                          from device_events e, event_consumer_positions c where e.id = :id
                        """)
                .param("id", eventId)
                .query(Boolean.class)
                .single();
    }

    private boolean behindCursor(Fixtures.TestUser user, UUID eventId) {
        return TenantScope.call(user.context(), () -> new TransactionTemplate(transactionManager).execute(s -> jdbc
                .sql("""
                        select e.seq <= c.seq
                          from device_events e, event_consumer_positions c
                         where e.id = :id and c.consumer = 'webhooks'
                        """)
                .param("id", eventId)
                .query(Boolean.class)
                .single()));
    }
}
