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
    void stagesARunOfOneOwnersEventsForTheMatchingWebhooksOnceEachWithItsOwnBody() {
        Fixtures.TestUser user = new Fixtures(dataSource, hasher).owner();
        Api api = new Api(port).bearer(user.apiKey());
        String lamp = api.post("/api/v1/devices", Map.of("name", "Lamp", "type", "switch")).json().path("id").asString();
        // to a closed port: the attempts fail, which does not matter here
        api.post("/api/v1/webhooks", Map.of("url", "http://127.0.0.1:9/all"));
        api.post("/api/v1/webhooks", Map.of("url", "http://127.0.0.1:9/deletions", "events", List.of("device.deleted")));
        api.post("/api/v1/webhooks", Map.of("url", "http://127.0.0.1:9/lamp", "deviceId", lamp,
                "events", List.of("property.changed")));
        UUID other = UUID.randomUUID();
        DeviceEvent lampChanged = event(user, UUID.fromString(lamp), "property.changed");
        DeviceEvent otherChanged = event(user, other, "property.changed");
        DeviceEvent otherDeleted = event(user, other, "device.deleted");
        List<DeviceEvent> run = List.of(lampChanged, otherChanged, otherDeleted);
        TenantSql sql = new TenantSql(dataSource);
        sql.as(user, jdbc -> {
            consumer.stageAll(run);
            consumer.stageAll(run); // a dispatch that runs again stages nothing new
            return null;
        });

        List<String> staged = sql.as(user, jdbc -> jdbc.sql("""
                        select substring(w.url from '[a-z]+$') || ':' || d.event_type || ':'
                               || (d.event_id = cast(cast(d.payload as json) ->> 'id' as uuid)) as row
                          from webhook_deliveries d join webhooks w on w.id = d.webhook_id
                         where d.event_id in (:a, :b, :c)
                         order by 1""")
                .param("a", lampChanged.id())
                .param("b", otherChanged.id())
                .param("c", otherDeleted.id())
                .query(String.class)
                .list());
        assertThat(staged).containsExactly(
                "all:device.deleted:true", "all:property.changed:true", "all:property.changed:true",
                "deletions:device.deleted:true", "lamp:property.changed:true");
        assertThat(sql.count(user, "select count(*) from webhook_deliveries where event_id = :id and webhook_id = "
                + "(select id from webhooks where url like '%/lamp')", lampChanged.id())).isEqualTo(1);
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

    private static DeviceEvent event(Fixtures.TestUser user, UUID device, String type) {
        return new DeviceEvent(UUID.randomUUID(), 1, user.tenantId(), user.userId(), device, "Lamp", "switch",
                "vd_alexa", "vd_ifttt", type, "api", 2, JsonNodeFactory.instance.arrayNode(),
                JsonNodeFactory.instance.objectNode(), Instant.now());
    }

    private static DeviceEvent event(Fixtures.TestUser user, ObjectNode snapshot) {
        return new DeviceEvent(UUID.randomUUID(), 1, user.tenantId(), user.userId(), UUID.randomUUID(), "Lamp", "switch",
                "vd_alexa", "vd_ifttt", "property.changed", "api", 2, JsonNodeFactory.instance.arrayNode(), snapshot,
                Instant.now());
    }
}
