package io.virtdevice.devices;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.WebhookReceiver;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;

/**
 * A pulse's reset does not queue behind other tenants' work on the shared db-scheduler (docs/decisions.md,
 * "Leftovers: pulse timing, stream subscribers, restore check (h-leftovers2)"). The neighbour here fills the
 * scheduler with webhook test messages to an endpoint that never answers in time: each attempt holds one of
 * its threads for the webhook timeout (3 s in the tests), and the messages, due before the reset, come first
 * in its execution-time order. The reset must overtake them: when the sensor is seen back at rest, most of
 * the neighbour's messages have not been attempted yet.
 */
@IntegrationTest
class PulseResetUnderLoadTests extends DeviceTests {

    /** Four waves of the scheduler's 16 threads, each wave held for the 3 s webhook timeout. */
    private static final int BACKLOG = 64;

    @Value("${db-scheduler.threads}")
    int schedulerThreads;

    @Test
    void aPulseResetsWhileAnotherTenantsSlowWebhooksHoldEverySchedulerThread() {
        assertThat(BACKLOG).as("the backlog outlasts the scheduler's threads").isGreaterThanOrEqualTo(4 * schedulerThreads);
        try (WebhookReceiver slow = new WebhookReceiver();
                SlowWebhooks neighbour = holdSchedulerThreads(slow, BACKLOG, schedulerThreads)) {
            // every scheduler thread is now waiting on the neighbour's endpoint
            Fixtures.TestUser user = fixtures().owner();
            Api api = api(user);
            Api.Response created = api.post("/api/v1/devices",
                    Map.of("name", "Doorbell motion", "type", "motion_sensor", "momentary", true, "pulseSeconds", 1));
            assertThat(created.status()).as(created.toString()).isEqualTo(201);
            UUID id = UUID.fromString(created.json().path("id").asString());
            Api.Response pulsed = api.post("/api/v1/devices/" + id + "/pulse", null);
            assertThat(pulsed.status()).as(pulsed.toString()).isEqualTo(200);
            Instant due = Instant.parse(pulsed.json().path("pulseResetAt").asString());

            Instant resetAt = awaitMotionReset(api, user, id);
            long attempted = neighbour.attempted(sql());
            System.out.printf("pulse reset under load: due %s, committed %s (%d ms late); neighbour's messages"
                    + " attempted by then: %d of %d%n", due, resetAt,
                    Duration.between(due, resetAt).toMillis(), attempted, BACKLOG);
            assertThat(attempted).as("the neighbour's messages attempted before the reset (the reset waited for"
                    + " the backlog queued before it if nearly all were)").isLessThan(BACKLOG - schedulerThreads);
            // the instance that reset it removed the durable execution (nothing left for the scheduler to run)
            await().atMost(Duration.ofSeconds(30)).until(() -> sql().as(user, jdbc -> jdbc.sql(
                            "select count(*) from scheduled_tasks where task_name = 'devices.pulse-reset'"
                                    + " and task_instance like :prefix")
                    .param("prefix", id + "@%").query(Long.class).single()) == 0);
            // closing the neighbour's webhook ends what is left of the backlog instead of holding other tests up
        }
    }
}
