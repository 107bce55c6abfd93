package io.virtdevice.devices;

import static org.awaitility.Awaitility.await;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.TenantSql;
import io.virtdevice.testing.WebhookReceiver;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

/** What the device test classes share: a fresh owner per call, an API client, SQL as that owner. */
abstract class DeviceTests {

    @LocalServerPort
    int port;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher passwordHasher;

    Fixtures fixtures() {
        return new Fixtures(dataSource, passwordHasher);
    }

    TenantSql sql() {
        return new TenantSql(dataSource);
    }

    Api api(Fixtures.TestUser user) {
        return new Api(port).bearer(user.apiKey());
    }

    /** Creates a device and returns its id, failing the test on anything but 201. */
    static UUID create(Api api, String name, String type) {
        Api.Response response = api.post("/api/v1/devices", Map.of("name", name, "type", type));
        if (response.status() != 201) {
            throw new AssertionError("device creation failed: " + response);
        }
        return UUID.fromString(response.json().path("id").asString());
    }

    /**
     * Fills the shared db-scheduler with {@code backlog} webhook test messages of a new tenant to {@code slow},
     * which answers after a minute (each attempt holds a scheduler thread for the webhook timeout, 3 s in the
     * tests), and returns once {@code threads} attempts are waiting on it: every scheduler thread is busy. The
     * returned handle deletes the webhook, which ends what is left of the backlog at once.
     */
    SlowWebhooks holdSchedulerThreads(WebhookReceiver slow, int backlog, int threads) {
        slow.always(WebhookReceiver.Answer.status(200).after(Duration.ofMinutes(1)));
        Fixtures.TestUser neighbour = fixtures().owner();
        Api theirs = api(neighbour);
        Api.Response hook = theirs.post("/api/v1/webhooks",
                Map.of("url", slow.url("/slow"), "events", List.of("doorbell.pressed")));
        if (hook.status() != 201) {
            throw new AssertionError("webhook creation failed: " + hook);
        }
        SlowWebhooks webhooks = new SlowWebhooks(neighbour, theirs, hook.json().path("id").asString());
        try {
            for (int i = 0; i < backlog; i++) {
                Api.Response sent = theirs.post("/api/v1/webhooks/" + webhooks.webhookId() + "/test", null);
                if (sent.status() != 202) {
                    throw new AssertionError("webhook test message refused: " + sent);
                }
            }
            slow.await(threads, Duration.ofSeconds(60));
        } catch (RuntimeException | AssertionError e) {
            webhooks.close();
            throw e;
        }
        return webhooks;
    }

    /** Waits for the motion sensor {@code id} to be back at rest; returns when its reset was committed. */
    Instant awaitMotionReset(Api api, Fixtures.TestUser user, UUID id) {
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100)).until(() -> "not_detected"
                .equals(api.get("/api/v1/devices/" + id).json().path("properties").path("motion").path("value")
                        .asString()));
        return sql().as(user, jdbc -> jdbc.sql(
                        "select occurred_at from device_events where device_id = :d and source = 'system'")
                .param("d", id).query(OffsetDateTime.class).single()).toInstant();
    }

    /** The neighbour's webhook from {@link #holdSchedulerThreads}. */
    record SlowWebhooks(Fixtures.TestUser neighbour, Api api, String webhookId) implements AutoCloseable {

        /** How many of the messages have been attempted so far. */
        long attempted(TenantSql sql) {
            return sql.as(neighbour, jdbc -> jdbc.sql(
                            "select count(*) from webhook_deliveries where webhook_id = cast(:w as uuid) and attempts > 0")
                    .param("w", webhookId).query(Long.class).single());
        }

        @Override
        public void close() {
            api.delete("/api/v1/webhooks/" + webhookId);
        }
    }

    long version(Api api, UUID id) {
        return api.get("/api/v1/devices/" + id).json().path("version").asLong();
    }
}
