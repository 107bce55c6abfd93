package io.virtdevice.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.events.DeviceEvent;
import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TenantSql;
import io.virtdevice.testing.TestDatabase;
import io.virtdevice.testing.WebhookReceiver;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * The webhook-id of an event's message to a webhook is stable: the relay commits asynchronously, so a
 * database crash can lose a staging whose message was already sent, and the event is then dispatched and
 * staged again. The message sent again must carry the same webhook-id (and body), so the receiver can
 * deduplicate it (Standard Webhooks); a manual redelivery keeps it too.
 */
@IntegrationTest
class WebhookMessageIdTests {

    @LocalServerPort
    int port;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    @Autowired
    WebhookEventConsumer consumer;

    @Autowired
    ApplicationContext context;

    @Test
    void aMessageStagedAgainAfterItsStagingWasLostKeepsItsWebhookId() {
        Fixtures.TestUser user = new Fixtures(dataSource, hasher).owner();
        Api api = new Api(port).bearer(user.apiKey());
        TenantSql sql = new TenantSql(dataSource);
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            String a = api.post("/api/v1/webhooks", Map.of("url", receiver.url("/a"))).json().path("id").asString();
            api.post("/api/v1/webhooks", Map.of("url", receiver.url("/b")));
            DeviceEvent event = event(user);

            sql.as(user, jdbc -> {
                consumer.stage(event);
                return null;
            });
            List<WebhookReceiver.Delivery> first = receiver.await(2, Duration.ofSeconds(30));
            assertThat(first).extracting(WebhookReceiver.Delivery::id).doesNotHaveDuplicates()
                    .allMatch(id -> id.matches("msg_[0-9a-f]{32}"));

            // the asynchronous commit of the staging (and of its record) is lost in a database crash
            TestDatabase.of(context).superuser().sql("delete from webhook_deliveries where event_id = :e")
                    .param("e", event.id()).update();
            sql.as(user, jdbc -> {
                consumer.stage(event); // the relay, rewound by the crash, dispatches the event again
                return null;
            });
            List<WebhookReceiver.Delivery> all = receiver.await(4, Duration.ofSeconds(30));
            List<WebhookReceiver.Delivery> again = all.subList(2, 4);
            assertThat(again).extracting(WebhookReceiver.Delivery::id)
                    .containsExactlyInAnyOrderElementsOf(first.stream().map(WebhookReceiver.Delivery::id).toList());
            for (WebhookReceiver.Delivery resent : again) {
                WebhookReceiver.Delivery original = first.stream().filter(d -> d.id().equals(resent.id())).findFirst()
                        .orElseThrow();
                assertThat(resent.body()).isEqualTo(original.body());
            }

            // a manual redelivery of the re-staged message: the same id once more
            String staged = sql.as(user, jdbc -> jdbc.sql("""
                            select id::text from webhook_deliveries where event_id = :e and webhook_id = :w""")
                    .param("e", event.id()).param("w", UUID.fromString(a)).query(String.class).single());
            String msgId = sql.as(user, jdbc -> jdbc.sql("select msg_id from webhook_deliveries where id = :id")
                    .param("id", UUID.fromString(staged)).query(String.class).single());
            // successes are recorded a moment after the receiver answered; until then it is pending
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> sql.as(user, jdbc -> jdbc.sql(
                            "select status from webhook_deliveries where id = :id")
                    .param("id", UUID.fromString(staged)).query(String.class).single()).equals("succeeded"));
            assertThat(api.post("/api/v1/webhooks/" + a + "/deliveries/" + staged + "/redeliver", null).status())
                    .isEqualTo(202);
            assertThat(receiver.await(5, Duration.ofSeconds(30)).get(4).id()).isEqualTo(msgId);
            assertThat(first.stream().map(WebhookReceiver.Delivery::id)).contains(msgId);
        }
    }

    @Test
    void eachWebhookAndEventHaveTheirOwnId() {
        Fixtures.TestUser user = new Fixtures(dataSource, hasher).owner();
        Api api = new Api(port).bearer(user.apiKey());
        // to a closed port: the attempts fail, which does not matter here
        api.post("/api/v1/webhooks", Map.of("url", "http://127.0.0.1:9/a"));
        api.post("/api/v1/webhooks", Map.of("url", "http://127.0.0.1:9/b"));
        TenantSql sql = new TenantSql(dataSource);
        sql.as(user, jdbc -> {
            consumer.stageAll(List.of(event(user), event(user)));
            return null;
        });
        long distinct = sql.as(user, jdbc -> jdbc.sql("select count(distinct msg_id) from webhook_deliveries")
                .query(Long.class).single());
        assertThat(distinct).isEqualTo(4);
    }

    private static DeviceEvent event(Fixtures.TestUser user) {
        return new DeviceEvent(UUID.randomUUID(), 1, user.tenantId(), user.userId(), UUID.randomUUID(), "Bell",
                "doorbell", "vd_alexa", "vd_ifttt", "doorbell.pressed", "api", 2, JsonNodeFactory.instance.arrayNode(),
                JsonNodeFactory.instance.objectNode(), Instant.now());
    }
}
