package io.virtdevice.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.virtdevice.devices.ChangeSource;
import io.virtdevice.devices.DeviceManagement;
import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.platform.tenancy.TenantScope;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.FailingConsumer;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TestDatabase;
import io.virtdevice.testing.WebhookReceiver;
import java.sql.Connection;
import java.sql.PreparedStatement;
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
import org.springframework.context.ApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * Issue 9 §1: each reaction (consumer) progresses on its own, a failing one delays only itself and only the
 * owner of the failing event, what it gives up is kept (dead letters) for its owner and can be retried, and
 * transactions that do not write change events hold the relay back no more.
 */
@IntegrationTest
class EventRelayIsolationTests {

    private static final Duration PROMPTLY = Duration.ofSeconds(3);

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

    @Autowired
    FailingConsumer failing;

    @Autowired
    MeterRegistry meters;

    @Autowired
    ApplicationContext context;

    @Test
    void aFailingConsumerDelaysOnlyItselfAndOnlyThatOwnerAndKeepsWhatItGivesUp() {
        Fixtures fixtures = new Fixtures(dataSource, hasher);
        Fixtures.TestUser victim = fixtures.owner();
        Fixtures.TestUser bystander = fixtures.owner();
        Api victimApi = new Api(port).bearer(victim.apiKey());
        Api bystanderApi = new Api(port).bearer(bystander.apiKey());
        String poisonName = "poison-" + UUID.randomUUID();
        double deadBefore = deadLetters();
        try (WebhookReceiver victimHooks = new WebhookReceiver(); WebhookReceiver bystanderHooks = new WebhookReceiver()) {
            subscribe(victimApi, victimHooks);
            subscribe(bystanderApi, bystanderHooks);

            String poison = create(victimApi, poisonName);
            String lamp = create(victimApi, "Lamp");
            toggle(victimApi, lamp);
            String other = create(bystanderApi, "Lamp");
            toggle(bystanderApi, other);

            // the webhooks consumer is not held back by the failing one: every change of both tenants arrives,
            // the poison device's included
            assertThat(victimHooks.await(3, PROMPTLY)).extracting(d -> d.json().path("device").path("id").asString())
                    .containsExactlyInAnyOrder(poison, lamp, lamp);
            assertThat(bystanderHooks.await(2, PROMPTLY)).allMatch(WebhookReceiver.Delivery::signatureValid);
            // the failing consumer itself goes on with the other tenant at once ...
            List<UUID> bystanderEvents = eventIds(bystander, null);
            await().atMost(PROMPTLY).until(() -> bystanderEvents.stream().allMatch(failing::took));
            // ... and with the victim's later events once it has given the poison event up
            UUID poisonEvent = eventIds(victim, poisonName).get(0);
            List<UUID> lampEvents = eventIds(victim, "Lamp");
            await().atMost(Duration.ofSeconds(20)).until(() -> lampEvents.stream().allMatch(failing::took));
            assertThat(failing.took(poisonEvent)).isFalse();

            // the dead letter: its owner sees it, nobody else does
            JsonNode items = victimApi.get("/api/v1/event-failures").json().path("items");
            assertThat(items).hasSize(1);
            JsonNode dead = items.get(0);
            assertThat(dead.path("consumer").asString()).isEqualTo(FailingConsumer.NAME);
            assertThat(dead.path("eventId").asString()).isEqualTo(poisonEvent.toString());
            assertThat(dead.path("eventType").asString()).isEqualTo("device.created");
            assertThat(dead.path("deviceId").asString()).isEqualTo(poison);
            assertThat(dead.path("status").asString()).isEqualTo("dead");
            assertThat(dead.path("attempts").asInt()).isEqualTo(2);
            assertThat(dead.path("error").asString()).contains("test consumer refuses event");
            assertThat(dead.path("firstFailedAt").isNull()).isFalse();
            assertThat(dead.path("lastFailedAt").isNull()).isFalse();
            String id = dead.path("id").asString();
            assertThat(victimApi.get("/api/v1/event-failures/" + id).json().path("status").asString())
                    .isEqualTo("dead");
            assertThat(deadLetters()).isGreaterThanOrEqualTo(deadBefore + 1);

            assertThat(bystanderApi.get("/api/v1/event-failures").json().path("items")).isEmpty();
            Api.Response foreign = bystanderApi.get("/api/v1/event-failures/" + id);
            assertThat(foreign.status()).isEqualTo(404);
            assertThat(foreign.headers().get("content-type").get(0)).startsWith("application/problem+json");
            assertThat(bystanderApi.post("/api/v1/event-failures/" + id + "/retry", Map.of()).status())
                    .isEqualTo(404);
            String readOnly = fixtures.apiKey(victim, List.of("read"));
            assertThat(new Api(port).bearer(readOnly).post("/api/v1/event-failures/" + id + "/retry", Map.of())
                    .status()).isEqualTo(403);
            assertThat(victimApi.get("/api/v1/event-failures/" + UUID.randomUUID()).status()).isEqualTo(404);
            assertThat(victimApi.get("/api/v1/event-failures/not-a-uuid").status()).isEqualTo(400);

            // retry: handed to the failing consumer only, which takes it now
            failing.cure(poisonName);
            Api.Response retried = victimApi.post("/api/v1/event-failures/" + id + "/retry", Map.of());
            assertThat(retried.status()).isEqualTo(202);
            await().atMost(Duration.ofSeconds(10)).until(() -> failing.took(poisonEvent));
            await().atMost(PROMPTLY).until(() -> victimApi.get("/api/v1/event-failures").json().path("items").isEmpty());
            assertThat(victimApi.post("/api/v1/event-failures/" + id + "/retry", Map.of()).status()).isEqualTo(404);
            assertThat(victimHooks.deliveries()).hasSize(3);
        }
    }

    /** A write transaction elsewhere (another tenant, another table) held open: reactions still arrive. */
    @Test
    void anUnrelatedOpenTransactionHoldsNoReactionBack() throws Exception {
        Fixtures fixtures = new Fixtures(dataSource, hasher);
        Fixtures.TestUser user = fixtures.owner();
        Fixtures.TestUser elsewhere = fixtures.owner();
        Api api = new Api(port).bearer(user.apiKey());
        try (WebhookReceiver receiver = new WebhookReceiver();
                Connection open = TestDatabase.of(context).superuserConnection()) {
            subscribe(api, receiver);
            String lamp = create(api, "Lamp");
            receiver.await(1, PROMPTLY);

            open.setAutoCommit(false);
            try (PreparedStatement update = open.prepareStatement("update tenants set name = name || ' ' where id = ?")) {
                update.setObject(1, elsewhere.tenantId());
                assertThat(update.executeUpdate()).isEqualTo(1);
            }
            try {
                toggle(api, lamp);
                toggle(api, lamp);
                assertThat(receiver.await(3, PROMPTLY)).extracting(d -> d.json().path("type").asString())
                        .containsExactly("device.created", "property.changed", "property.changed");
                assertThat(inTransaction(open)).as("the other transaction is still open").isTrue();
            } finally {
                open.rollback();
            }
        }
    }

    /**
     * A change whose transaction started (and took its transaction id) before others but writes its event
     * and commits after them: the others are not held back by it, and it is delivered once.
     */
    @Test
    void anEventCommittedLateIsDeliveredOnce() throws Exception {
        Fixtures fixtures = new Fixtures(dataSource, hasher);
        Fixtures.TestUser slowUser = fixtures.owner();
        Fixtures.TestUser quickUser = fixtures.owner();
        Api slowApi = new Api(port).bearer(slowUser.apiKey());
        Api quickApi = new Api(port).bearer(quickUser.apiKey());
        TransactionTemplate tx = new TransactionTemplate(transactionManager);
        try (WebhookReceiver slowHooks = new WebhookReceiver(); WebhookReceiver quickHooks = new WebhookReceiver()) {
            subscribe(slowApi, slowHooks);
            subscribe(quickApi, quickHooks);
            UUID slow = UUID.fromString(create(slowApi, "Slow"));
            String quick = create(quickApi, "Quick");
            slowHooks.await(1, PROMPTLY);
            quickHooks.await(1, PROMPTLY);

            CountDownLatch started = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Thread late = Thread.ofPlatform().start(() -> TenantScope.run(slowUser.context(), () ->
                    tx.executeWithoutResult(s -> {
                        // the transaction id is taken now, long before the event is written
                        jdbc.sql("select pg_current_xact_id()").query(String.class).single();
                        started.countDown();
                        try {
                            release.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        devices.setProperties(slow, Map.of("power", JsonNodeFactory.instance.booleanNode(true)), null,
                                ChangeSource.API);
                    })));
            try {
                assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
                toggle(quickApi, quick);
                assertThat(quickHooks.await(2, PROMPTLY).get(1).json().path("type").asString())
                        .isEqualTo("property.changed");
            } finally {
                release.countDown();
                late.join(10_000);
            }
            List<WebhookReceiver.Delivery> delivered = slowHooks.await(2, PROMPTLY);
            assertThat(delivered.get(1).json().path("type").asString()).isEqualTo("property.changed");
            UUID lateEvent = UUID.fromString(delivered.get(1).json().path("id").asString());
            // once: no second message for it, ever
            await().during(Duration.ofSeconds(1)).atMost(PROMPTLY).until(() -> slowHooks.deliveries().size() == 2);
            await().atMost(PROMPTLY).until(() -> failing.took(lateEvent));
        }
    }

    /** Issue 9 §6: no definer function the application role may call hands out event contents. */
    @Test
    void noDefinerFunctionReturnsEventPayloadsToTheApplicationRole() {
        String appRole = jdbc.sql("select current_user").query(String.class).single();
        List<String> leaking = TestDatabase.of(context).superuser().sql("""
                        select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                         where n.nspname = 'app' and p.prosecdef
                           and has_function_privilege(:role, p.oid, 'EXECUTE')
                           and p.proargnames && array['changes', 'snapshot', 'payload']
                        """)
                .param("role", appRole)
                .query(String.class)
                .list();
        assertThat(leaking).isEmpty();
        // what the relay gets instead: ids and owners
        List<String> relayColumns = TestDatabase.of(context).superuser().sql("""
                        select unnest(proargnames) from pg_proc where proname = 'device_events_relay'
                        """)
                .query(String.class)
                .list();
        assertThat(relayColumns).contains("ids", "tenants", "users").doesNotContain("changes", "snapshot");
    }

    private double deadLetters() {
        Counter counter = meters.find(DeviceEventDispatcher.DEAD_LETTERS).tag("consumer", FailingConsumer.NAME)
                .counter();
        return counter == null ? 0 : counter.count();
    }

    private List<UUID> eventIds(Fixtures.TestUser user, String deviceName) {
        return TenantScope.call(user.context(), () -> new TransactionTemplate(transactionManager).execute(s -> jdbc
                .sql("select id from device_events where (cast(:name as text) is null or device_name = :name) order by seq")
                .param("name", deviceName)
                .query(UUID.class)
                .list()));
    }

    private static boolean inTransaction(Connection connection) throws Exception {
        try (PreparedStatement ps = connection.prepareStatement("select pg_current_xact_id_if_assigned() is not null");
                var rs = ps.executeQuery()) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    private static void subscribe(Api api, WebhookReceiver receiver) {
        receiver.trust(api.post("/api/v1/webhooks", Map.of("url", receiver.url("/hook"),
                "events", List.of("device.created", "property.changed"))).json().path("secret").asString());
    }

    private static String create(Api api, String name) {
        Api.Response created = api.post("/api/v1/devices", Map.of("name", name, "type", "switch"));
        assertThat(created.status()).isEqualTo(201);
        return created.json().path("id").asString();
    }

    private static final Map<String, Boolean> POWER = new java.util.concurrent.ConcurrentHashMap<>();

    /** Switches the device on, off, on...: a change every time. */
    private static void toggle(Api api, String device) {
        boolean power = POWER.merge(device, true, (was, on) -> !was);
        assertThat(api.put("/api/v1/devices/" + device + "/properties", Map.of("power", power)).status())
                .isEqualTo(200);
    }
}
