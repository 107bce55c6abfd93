package io.virtdevice.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.MailSink;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TenantSql;
import io.virtdevice.testing.WebhookReceiver;
import io.virtdevice.testing.WebhookReceiver.Answer;
import jakarta.mail.internet.MimeMessage;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/**
 * Deliveries over real HTTP to a local receiver that checks every signature. The test context retries
 * after 0.5 s, 1 s, 1 s (four attempts) and disables a webhook whose attempts all failed for 2 s.
 */
@IntegrationTest
class WebhookDeliveryTests {

    private static final Duration WAIT = Duration.ofSeconds(15);

    @LocalServerPort
    int port;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    WebhookReceiver receiver;
    Fixtures.TestUser user;
    Api api;

    @BeforeEach
    void setUp() {
        receiver = new WebhookReceiver();
        MailSink.start();
        user = new Fixtures(dataSource, hasher).owner();
        api = new Api(port).bearer(user.apiKey());
    }

    @AfterEach
    void tearDown() {
        receiver.close();
    }

    @Test
    void deliversEveryChangeSignedWithTheThinPayload() {
        String secret = createWebhook(Map.of("url", receiver.url("/hook")));
        receiver.trust(secret);
        JsonNode device = createDevice("Lamp");
        String id = device.path("id").asString();
        assertThat(api.put("/api/v1/devices/" + id + "/properties", Map.of("power", true)).status()).isEqualTo(200);

        List<WebhookReceiver.Delivery> received = receiver.await(2, WAIT);
        assertThat(received).allSatisfy(d -> {
            assertThat(d.signatureValid()).isTrue();
            assertThat(d.id()).startsWith("msg_");
            assertThat(d.header("Content-Type")).startsWith("application/json");
            assertThat(d.header("User-Agent")).isEqualTo("VirtDevice-Webhooks/1.0");
            assertThat(d.body().length()).isLessThan(20 * 1024);
        });
        JsonNode changed = received.stream().map(WebhookReceiver.Delivery::json)
                .filter(j -> j.path("type").asString().equals("property.changed"))
                .findFirst()
                .orElseThrow();
        assertThat(changed.path("device").path("id").asString()).isEqualTo(id);
        assertThat(changed.path("device").path("name").asString()).isEqualTo("Lamp");
        assertThat(changed.path("device").path("type").asString()).isEqualTo("switch");
        assertThat(changed.path("changes").get(0).path("property").asString()).isEqualTo("power");
        assertThat(changed.path("changes").get(0).path("new").asBoolean()).isTrue();
        assertThat(changed.path("snapshot").path("power").asBoolean()).isTrue();
        assertThat(changed.path("occurredAt").asString()).isNotBlank();
    }

    @Test
    void retriesFailedAttemptsWithTheSameWebhookIdUntilOneSucceeds() {
        receiver.trust(createWebhook(Map.of("url", receiver.url("/flaky"), "events", List.of("device.created"))));
        receiver.answer(status(500).withBody("database down"), status(502));
        createDevice("Fan");

        List<WebhookReceiver.Delivery> attempts = receiver.await(3, WAIT);
        assertThat(attempts).extracting(WebhookReceiver.Delivery::id).containsOnly(attempts.get(0).id());
        assertThat(attempts).allMatch(WebhookReceiver.Delivery::signatureValid);
        assertThat(attempts).extracting(WebhookReceiver.Delivery::body).containsOnly(attempts.get(0).body());
        // backoff: the first retry comes about 0.5 s after the first attempt, the second about 1 s later
        assertThat(Duration.between(attempts.get(0).receivedAt(), attempts.get(1).receivedAt()))
                .isGreaterThanOrEqualTo(Duration.ofMillis(400));
        assertThat(Duration.between(attempts.get(1).receivedAt(), attempts.get(2).receivedAt()))
                .isGreaterThanOrEqualTo(Duration.ofMillis(850));

        JsonNode delivery = awaitDelivery(webhookId(), d -> d.path("status").asString().equals("succeeded"));
        assertThat(delivery.path("attempts").asInt()).isEqualTo(3);
        assertThat(delivery.path("httpStatus").asInt()).isEqualTo(200);
        assertThat(delivery.path("webhookId").asString()).isEqualTo(attempts.get(0).id());
        assertThat(delivery.path("eventType").asString()).isEqualTo("device.created");
        assertThat(delivery.path("latencyMs").isInt()).isTrue();
        assertThat(delivery.path("responseExcerpt").asString()).isEqualTo("ok");
        assertThat(receiver.deliveries()).hasSize(3);
    }

    @Test
    void waitsAsLongAsRetryAfterAsks() {
        receiver.trust(createWebhook(Map.of("url", receiver.url("/busy"), "events", List.of("device.created"))));
        receiver.answer(status(503).withHeader("Retry-After", "2"));
        createDevice("Heater");

        List<WebhookReceiver.Delivery> attempts = receiver.await(2, WAIT);
        // the backoff alone would retry after about 0.5 s
        assertThat(Duration.between(attempts.get(0).receivedAt(), attempts.get(1).receivedAt()))
                .isGreaterThanOrEqualTo(Duration.ofMillis(1950));
        assertThat(awaitDelivery(webhookId(), d -> d.path("status").asString().equals("succeeded"))
                .path("attempts").asInt()).isEqualTo(2);
    }

    @Test
    void countsRedirectsAsFailuresAndNeverFollowsThem() {
        receiver.trust(createWebhook(Map.of("url", receiver.url("/moved"), "events", List.of("device.created"))));
        receiver.answer(status(302).withHeader("Location", receiver.url("/elsewhere")));
        createDevice("Kettle");

        List<WebhookReceiver.Delivery> attempts = receiver.await(2, WAIT);
        assertThat(receiver.deliveries()).noneMatch(d -> d.headers().isEmpty())
                .allSatisfy(d -> assertThat(d.json().path("type").asString()).isEqualTo("device.created"));
        JsonNode delivery = awaitDelivery(webhookId(), d -> d.path("status").asString().equals("succeeded"));
        assertThat(delivery.path("attempts").asInt()).isEqualTo(2);
        assertThat(attempts.get(0).id()).isEqualTo(attempts.get(1).id());
        assertThat(receiver.deliveries()).hasSize(2);
    }

    @Test
    void disablesTheWebhookWhenTheReceiverSaysGone() {
        receiver.trust(createWebhook(Map.of("url", receiver.url("/gone"))));
        receiver.always(status(410));
        JsonNode device = createDevice("Old lamp");
        receiver.await(1, WAIT);

        JsonNode webhook = awaitWebhook(w -> !w.path("enabled").asBoolean());
        assertThat(webhook.path("disabledReason").asString()).isEqualTo("gone");
        assertThat(webhook.path("disabledAt").asString()).isNotBlank();
        JsonNode delivery = awaitDelivery(webhookId(), d -> d.path("status").asString().equals("failed"));
        assertThat(delivery.path("attempts").asInt()).isEqualTo(1);
        assertThat(delivery.path("httpStatus").asInt()).isEqualTo(410);
        assertThat(activityActions()).contains("webhook_disabled");
        // and its owner is told, through the SMTP sink
        MimeMessage mail = MailSink.await(user.email(), "was turned off");
        assertThat(MailSink.subject(mail)).isEqualTo("Your VirtDevice webhook to 127.0.0.1 was turned off");
        assertThat(MailSink.body(mail)).contains(receiver.url("/gone"), "410 Gone", "/api/v1/webhooks/" + webhookId(),
                "{\"enabled\": true}");

        // nothing more is sent to it
        api.put("/api/v1/devices/" + device.path("id").asString() + "/properties", Map.of("power", true));
        receiver.assertStaysAt(1, Duration.ofMillis(1500));
    }

    @Test
    void disablesAWebhookWhoseAttemptsAllFailForTooLong() {
        receiver.trust(createWebhook(Map.of("url", receiver.url("/broken"), "events", List.of("device.created"))));
        receiver.always(status(500).withBody("x".repeat(100_000)));
        createDevice("Broken");

        JsonNode webhook = awaitWebhook(w -> !w.path("enabled").asBoolean());
        assertThat(webhook.path("disabledReason").asString()).isEqualTo("failing");
        assertThat(webhook.path("failureCount").asInt()).isEqualTo(4);
        JsonNode delivery = awaitDelivery(webhookId(), d -> d.path("status").asString().equals("failed"));
        assertThat(delivery.path("attempts").asInt()).isEqualTo(4);
        assertThat(delivery.path("error").asString()).isEqualTo("HTTP 500");
        // only the first KiB of a huge answer is kept
        assertThat(delivery.path("responseExcerpt").asString()).hasSize(1024);
        assertThat(receiver.deliveries()).hasSize(4);
        assertThat(activityActions()).contains("webhook_disabled");
        String body = MailSink.body(MailSink.await(user.email(), "was turned off"));
        assertThat(body).contains(receiver.url("/broken"), "every delivery to it has failed for 2 seconds",
                "last attempt: HTTP 500");
    }

    @Test
    void cutsOffAReceiverThatDoesNotAnswerInTime() {
        receiver.trust(createWebhook(Map.of("url", receiver.url("/slow"), "events", List.of("device.created"))));
        receiver.answer(status(200).after(Duration.ofSeconds(6)));
        createDevice("Slow");

        List<WebhookReceiver.Delivery> attempts = receiver.await(2, WAIT);
        assertThat(attempts.get(0).id()).isEqualTo(attempts.get(1).id());
        JsonNode delivery = awaitDelivery(webhookId(), d -> d.path("status").asString().equals("succeeded"));
        assertThat(delivery.path("attempts").asInt()).isEqualTo(2);
        JsonNode page = api.get("/api/v1/webhooks/" + webhookId() + "/deliveries").json();
        assertThat(page.path("items")).hasSize(1);
        // the first attempt took the 3 s timeout, not the receiver's 6 s
        assertThat(Duration.between(attempts.get(0).receivedAt(), attempts.get(1).receivedAt()))
                .isLessThan(Duration.ofMillis(5500));
    }

    @Test
    void redeliversAFinishedMessageWithTheSameIdAndBody() {
        receiver.trust(createWebhook(Map.of("url", receiver.url("/again"), "events", List.of("device.created"))));
        createDevice("Again");
        WebhookReceiver.Delivery first = receiver.await(1, WAIT).get(0);
        JsonNode delivery = awaitDelivery(webhookId(), d -> d.path("status").asString().equals("succeeded"));

        Api.Response redelivered = api.post("/api/v1/webhooks/" + webhookId() + "/deliveries/"
                + delivery.path("id").asString() + "/redeliver", null);
        assertThat(redelivered.status()).as(redelivered.body()).isEqualTo(202);
        assertThat(redelivered.json().path("status").asString()).isEqualTo("pending");

        WebhookReceiver.Delivery second = receiver.await(2, WAIT).get(1);
        assertThat(second.id()).isEqualTo(first.id());
        assertThat(second.body()).isEqualTo(first.body());
        assertThat(second.signatureValid()).isTrue();
        assertThat(awaitDelivery(webhookId(), d -> d.path("attempts").asInt() == 2).path("status").asString())
                .isEqualTo("succeeded");
    }

    @Test
    void redeliveryOfAnUnknownOrForeignDeliveryIsNotFound() {
        createWebhook(Map.of("url", receiver.url("/x")));
        String unknown = java.util.UUID.randomUUID().toString();
        assertThat(api.post("/api/v1/webhooks/" + webhookId() + "/deliveries/" + unknown + "/redeliver", null)
                .status()).isEqualTo(404);
        Api other = new Api(port).bearer(new Fixtures(dataSource, hasher).owner().apiKey());
        assertThat(other.post("/api/v1/webhooks/" + webhookId() + "/deliveries/" + unknown + "/redeliver", null)
                .status()).isEqualTo(404);
        assertThat(other.post("/api/v1/webhooks/" + webhookId() + "/test", null).status()).isEqualTo(404);
        assertThat(other.get("/api/v1/webhooks/" + webhookId() + "/deliveries").status()).isEqualTo(404);
    }

    @Test
    void sendsASignedTestMessage() {
        receiver.trust(createWebhook(Map.of("url", receiver.url("/test"), "events", List.of("doorbell.pressed"))));
        Api.Response sent = api.post("/api/v1/webhooks/" + webhookId() + "/test", null);
        assertThat(sent.status()).as(sent.body()).isEqualTo(202);
        assertThat(sent.json().path("eventType").asString()).isEqualTo("webhook.test");

        WebhookReceiver.Delivery test = receiver.await(1, WAIT).get(0);
        assertThat(test.signatureValid()).isTrue();
        assertThat(test.json().path("type").asString()).isEqualTo("webhook.test");
        assertThat(test.json().path("webhook").path("id").asString()).isEqualTo(webhookId());
        assertThat(test.id()).isEqualTo(sent.json().path("webhookId").asString());
    }

    @Test
    void signsWithTheOldAndTheNewSecretWhileARotationOverlaps() {
        String old = createWebhook(Map.of("url", receiver.url("/rotate"), "events", List.of("device.created")));
        Api.Response rotated = api.post("/api/v1/webhooks/" + webhookId() + "/rotate-secret", null);
        assertThat(rotated.status()).isEqualTo(200);
        assertThat(rotated.header("Cache-Control")).contains("no-store");
        String fresh = rotated.json().path("secret").asString();
        assertThat(fresh).startsWith("whsec_").isNotEqualTo(old);
        assertThat(rotated.json().path("previousSecretExpiresAt").asString()).isNotBlank();
        receiver.trust(fresh).trust(old);
        createDevice("Rotated");

        WebhookReceiver.Delivery delivery = receiver.await(1, WAIT).get(0);
        assertThat(delivery.signatureValid()).isTrue();
        assertThat(delivery.signatures()).hasSize(2);
        assertThat(delivery.signatures().get(0)).isEqualTo(WebhookReceiver.sign(key(fresh), delivery.id(),
                Long.toString(delivery.timestamp()), delivery.body().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        assertThat(delivery.signatures().get(1)).isEqualTo(WebhookReceiver.sign(key(old), delivery.id(),
                Long.toString(delivery.timestamp()), delivery.body().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        assertThat(api.get("/api/v1/webhooks/" + webhookId()).json().path("previousSecretExpiresAt").asString())
                .isNotBlank();
    }

    @Test
    void sendsOnlySubscribedTypesOfTheChosenDeviceWithCustomHeaders() {
        JsonNode lamp = createDevice("Lamp");
        JsonNode fan = createDevice("Fan");
        String lampId = lamp.path("id").asString();
        receiver.trust(createWebhook(Map.of("url", receiver.url("/lamp"), "deviceId", lampId,
                "events", List.of("property.changed"), "headers", Map.of("X-Api-Key", "k-123", "X-Env", "test"))));
        api.put("/api/v1/devices/" + fan.path("id").asString() + "/properties", Map.of("power", true));
        api.patch("/api/v1/devices/" + lampId, Map.of("name", "Lamp 2"));
        api.put("/api/v1/devices/" + lampId + "/properties", Map.of("power", true));

        WebhookReceiver.Delivery delivery = receiver.await(1, WAIT).get(0);
        assertThat(delivery.json().path("type").asString()).isEqualTo("property.changed");
        assertThat(delivery.json().path("device").path("id").asString()).isEqualTo(lampId);
        assertThat(delivery.json().path("device").path("name").asString()).isEqualTo("Lamp 2");
        assertThat(delivery.header("X-Api-Key")).isEqualTo("k-123");
        assertThat(delivery.header("X-Env")).isEqualTo("test");
        receiver.assertStaysAt(1, Duration.ofMillis(1000));
    }

    @Test
    void anotherUsersChangesNeverReachMyWebhook() {
        receiver.trust(createWebhook(Map.of("url", receiver.url("/mine"))));
        Api other = new Api(port).bearer(new Fixtures(dataSource, hasher).owner().apiKey());
        assertThat(other.post("/api/v1/devices", Map.of("name", "Theirs", "type", "switch")).status()).isEqualTo(201);
        createDevice("Mine");

        WebhookReceiver.Delivery delivery = receiver.await(1, WAIT).get(0);
        assertThat(delivery.json().path("device").path("name").asString()).isEqualTo("Mine");
        receiver.assertStaysAt(1, Duration.ofMillis(1000));
    }

    @Test
    void deliversDeletionsWithTheDeletedDevicesName() {
        receiver.trust(createWebhook(Map.of("url", receiver.url("/deleted"), "events", List.of("device.deleted"))));
        JsonNode device = createDevice("Doomed");
        String id = device.path("id").asString();
        // a webhook bound to the device goes with it (documented): only the account-wide one is told
        Api.Response bound = api.post("/api/v1/webhooks", Map.of("url", receiver.url("/bound"), "deviceId", id,
                "events", List.of("device.deleted")));
        assertThat(bound.status()).isEqualTo(201);
        receiver.trust(bound.json().path("secret").asString());
        assertThat(api.delete("/api/v1/devices/" + id).status()).isEqualTo(204);

        JsonNode deleted = receiver.await(1, WAIT).get(0).json();
        assertThat(deleted.path("type").asString()).isEqualTo("device.deleted");
        assertThat(deleted.path("device").path("name").asString()).isEqualTo("Doomed");
        assertThat(deleted.path("device").path("type").asString()).isEqualTo("switch");
        assertThat(api.get("/api/v1/webhooks/" + bound.json().path("id").asString()).status()).isEqualTo(404);
        receiver.assertStaysAt(1, Duration.ofMillis(500));
    }

    @Test
    void neverSendsUnsignedWhenTheSecretCannotBeOpened() {
        createWebhook(Map.of("url", receiver.url("/tampered"), "events", List.of("device.created")));
        // a ciphertext that does not open under the master key (another key, or altered)
        sql().as(user, jdbc -> jdbc.sql("update webhooks set secret_enc = decode(repeat('01', 60), 'hex') where id = :id")
                .param("id", java.util.UUID.fromString(webhookId()))
                .update());
        createDevice("Tampered");

        JsonNode delivery = awaitDelivery(webhookId(), d -> d.path("attempts").asInt() >= 1);
        assertThat(delivery.path("error").asString()).contains("signing secret cannot be opened");
        receiver.assertStaysAt(0, Duration.ofMillis(500));
    }

    @Test
    void sendsAMessageWhoseFirstAttemptLeaseRanOutAndLeavesALiveLeaseAlone() {
        receiver.trust(createWebhook(Map.of("url", receiver.url("/orphans"), "events", List.of("device.created"))));
        java.util.UUID webhook = java.util.UUID.fromString(webhookId());
        // staged by a process that died before its first attempt, and one whose process is still at it
        java.util.UUID orphan = stageLeased(webhook, "now() - interval '1 second'");
        java.util.UUID leased = stageLeased(webhook, "now() + interval '1 hour'");

        List<WebhookReceiver.Delivery> received = receiver.await(1, WAIT);
        assertThat(received.get(0).signatureValid()).isTrue();
        assertThat(received.get(0).id()).isEqualTo(WebhookDeliveryRepository.msgId(orphan));
        JsonNode delivery = awaitDelivery(webhookId(), d -> d.path("id").asString().equals(orphan.toString())
                && d.path("status").asString().equals("succeeded"));
        assertThat(delivery.path("attempts").asInt()).isEqualTo(1);

        receiver.assertStaysAt(1, Duration.ofMillis(2500)); // the recovery task runs every second in tests
        List<String> rows = sql().as(user, jdbc -> jdbc.sql("""
                        select id, lease_until is not null as leased, attempts from webhook_deliveries
                         where webhook_id = :w order by leased""")
                .param("w", webhook)
                .query((rs, i) -> rs.getObject("id") + ":" + rs.getBoolean("leased") + ":" + rs.getInt("attempts"))
                .list());
        assertThat(rows).containsExactly(orphan + ":false:1", leased + ":true:0");
    }

    private java.util.UUID stageLeased(java.util.UUID webhook, String leaseUntil) {
        java.util.UUID id = java.util.UUID.randomUUID();
        sql().as(user, jdbc -> jdbc.sql("""
                        insert into webhook_deliveries (id, tenant_id, user_id, webhook_id, event_id, msg_id, event_type,
                                                        payload, max_attempts, next_attempt_at, lease_until)
                        values (:id, :tenant, :user, :webhook, gen_random_uuid(), :msgId, 'device.created',
                                '{"type":"device.created"}', 4, now(), %s)""".formatted(leaseUntil))
                .param("id", id)
                .param("tenant", user.tenantId())
                .param("user", user.userId())
                .param("webhook", webhook)
                .param("msgId", WebhookDeliveryRepository.msgId(id))
                .update());
        return id;
    }

    private String webhookId;

    String webhookId() {
        if (webhookId == null) {
            webhookId = api.get("/api/v1/webhooks").json().path("items").get(0).path("id").asString();
        }
        return webhookId;
    }

    JsonNode awaitDelivery(String webhook, java.util.function.Predicate<JsonNode> condition) {
        long end = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < end) {
            for (JsonNode item : api.get("/api/v1/webhooks/" + webhook + "/deliveries").json().path("items")) {
                if (condition.test(item)) {
                    return item;
                }
            }
            sleep(Duration.ofMillis(100));
        }
        throw new AssertionError("no delivery matched: " + api.get("/api/v1/webhooks/" + webhook + "/deliveries").body());
    }

    JsonNode awaitWebhook(java.util.function.Predicate<JsonNode> condition) {
        long end = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < end) {
            JsonNode webhook = api.get("/api/v1/webhooks/" + webhookId()).json();
            if (condition.test(webhook)) {
                return webhook;
            }
            sleep(Duration.ofMillis(100));
        }
        throw new AssertionError("webhook never matched: " + api.get("/api/v1/webhooks/" + webhookId()).body());
    }

    List<String> activityActions() {
        List<String> actions = new java.util.ArrayList<>();
        api.get("/api/v1/activity?limit=100").json().path("items").forEach(i -> actions.add(i.path("action").asString()));
        return actions;
    }

    static byte[] key(String secret) {
        return java.util.Base64.getDecoder().decode(secret.substring("whsec_".length()));
    }

    static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    String createWebhook(Map<String, Object> body) {
        Api.Response created = api.post("/api/v1/webhooks", body);
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        return created.json().path("secret").asString();
    }

    JsonNode createDevice(String name) {
        Api.Response created = api.post("/api/v1/devices", Map.of("name", name, "type", "switch"));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        return created.json();
    }

    TenantSql sql() {
        return new TenantSql(dataSource);
    }

    static Answer status(int code) {
        return Answer.status(code);
    }
}
