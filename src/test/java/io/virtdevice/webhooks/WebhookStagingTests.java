package io.virtdevice.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.events.DeviceEvent;
import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TenantSql;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/** Staging is idempotent (a dispatch that runs twice stages each message once) and payloads stay thin. */
@IntegrationTest
class WebhookStagingTests {

    @LocalServerPort
    int port;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    @Autowired
    WebhookEventConsumer consumer;

    @Autowired
    JsonMapper json;

    @Test
    void stagingTheSameEventTwiceStagesOneMessagePerWebhook() {
        Fixtures.TestUser user = new Fixtures(dataSource, hasher).owner();
        Api api = new Api(port).bearer(user.apiKey());
        // to a closed port: the attempts fail, which does not matter here
        api.post("/api/v1/webhooks", Map.of("url", "http://127.0.0.1:9/a"));
        api.post("/api/v1/webhooks", Map.of("url", "http://127.0.0.1:9/b", "events", List.of("device.deleted")));
        DeviceEvent event = event(user, JsonNodeFactory.instance.objectNode().put("power", true));
        TenantSql sql = new TenantSql(dataSource);
        sql.as(user, jdbc -> {
            consumer.stage(event);
            consumer.stage(event);
            return null;
        });
        sql.as(user, jdbc -> {
            consumer.stage(event);
            return null;
        });
        assertThat(sql.count(user, "select count(*) from webhook_deliveries where event_id = :id", event.id()))
                .isEqualTo(1);
        assertThat(sql.count(user, "select count(distinct msg_id) from webhook_deliveries where event_id = :id",
                event.id())).isEqualTo(1);
    }

    @Test
    void dropsChangesAndSnapshotFromAnOversizedPayload() {
        Fixtures.TestUser user = new Fixtures(dataSource, hasher).owner();
        ObjectNode snapshot = JsonNodeFactory.instance.objectNode();
        for (int i = 0; i < 30; i++) {
            snapshot.put("p" + i, "x".repeat(1000));
        }
        String payload = consumer.payload(event(user, snapshot));
        assertThat(payload.getBytes(StandardCharsets.UTF_8).length).isLessThan(WebhookEventConsumer.MAX_PAYLOAD_BYTES);
        assertThat(json.readTree(payload).path("truncated").asBoolean()).isTrue();
        assertThat(json.readTree(payload).has("snapshot")).isFalse();
        assertThat(json.readTree(payload).path("device").path("name").asString()).isEqualTo("Lamp");
        String small = consumer.payload(event(user, JsonNodeFactory.instance.objectNode().put("power", true)));
        assertThat(json.readTree(small).has("truncated")).isFalse();
    }

    private static DeviceEvent event(Fixtures.TestUser user, ObjectNode snapshot) {
        return new DeviceEvent(UUID.randomUUID(), 1, user.tenantId(), user.userId(), UUID.randomUUID(), "Lamp", "switch",
                "property.changed", "api", 2, JsonNodeFactory.instance.arrayNode(), snapshot, Instant.now());
    }
}
