package io.virtdevice.devices;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.virtdevice.testing.Api;
import io.virtdevice.testing.AppProcess;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.WebhookReceiver;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.core.env.Environment;

/**
 * A pulse whose instance died before its reset fell due is reset by another instance soon after, even while
 * that instance's db-scheduler threads are all held by another tenant's slow webhooks (docs/decisions.md,
 * "A pulse's reset when the instance that staged it is gone"). The pulse is started on an application in a
 * JVM of its own, which is killed at once; this context, whose scheduler is flooded the way
 * {@link PulseResetUnderLoadTests} floods it, must reset the sensor while most of the flood is still waiting.
 */
@IntegrationTest
class PulseResetTakeoverTests extends DeviceTests {

    /** Eight waves of the scheduler's 16 threads, each held for the 3 s webhook timeout: about 24 s of work. */
    private static final int BACKLOG = 128;

    /** Long enough for the process to be killed before the reset falls due, even on a slow machine. */
    private static final int PULSE_SECONDS = 3;

    @Value("${db-scheduler.threads}")
    int schedulerThreads;

    @Autowired
    Environment environment;

    @Test
    void aPulseWhoseInstanceDiedIsResetWhileSlowWebhooksHoldEverySchedulerThreadHere() throws Exception {
        assertThat(BACKLOG).as("the backlog outlasts the scheduler's threads").isGreaterThanOrEqualTo(8 * schedulerThreads);
        Fixtures.TestUser user = fixtures().owner();
        Process app = null;
        try (WebhookReceiver slow = new WebhookReceiver()) {
            int port = AppProcess.freePort();
            List<String> args = new ArrayList<>(AppProcess.onTestDatabase(environment));
            args.addAll(List.of("--db-scheduler.scheduler-name=pulse-takeover", "--LOG_FORMAT=",
                    "--logging.level.root=WARN"));
            app = AppProcess.launch(port, Path.of("target", "pulse-takeover-app.log"), args);
            Api elsewhere = new Api(port).bearer(user.apiKey());
            Api.Response created = elsewhere.post("/api/v1/devices", Map.of("name", "Hall motion", "type",
                    "motion_sensor", "momentary", true, "pulseSeconds", PULSE_SECONDS));
            assertThat(created.status()).as(created.toString()).isEqualTo(201);
            UUID id = UUID.fromString(created.json().path("id").asString());

            try (SlowWebhooks neighbour = holdSchedulerThreads(slow, BACKLOG, schedulerThreads)) {
                // every scheduler thread here is now waiting on the neighbour's endpoint
                Api.Response pulsed = elsewhere.post("/api/v1/devices/" + id + "/pulse", null);
                assertThat(pulsed.status()).as(pulsed.toString()).isEqualTo(200);
                Instant due = Instant.parse(pulsed.json().path("pulseResetAt").asString());
                app.destroyForcibly().waitFor();
                assertThat(Instant.now()).as("killed before the reset fell due").isBefore(due);

                Api api = api(user);
                Instant resetAt = awaitMotionReset(api, user, id);
                long attempted = neighbour.attempted(sql());
                long late = Duration.between(due, resetAt).toMillis();
                System.out.printf("pulse reset taken over: due %s, committed %s (%d ms late); neighbour's messages"
                        + " attempted by then: %d of %d%n", due, resetAt, late, attempted, BACKLOG);
                assertThat(attempted).as("the neighbour's messages attempted before the reset (the reset waited for"
                        + " the backlog claimed before it if nearly all were)").isLessThan(BACKLOG - schedulerThreads);
                assertThat(late).as("taken over after the staging instance's grace").isGreaterThanOrEqualTo(
                        PulseResets.ORPHANED_AFTER.toMillis());
                // the durable execution is gone once the scheduler has run what it had claimed, which changes nothing
                neighbour.close();
                await().atMost(Duration.ofSeconds(60)).until(() -> sql().as(user, jdbc -> jdbc.sql(
                                "select count(*) from scheduled_tasks where task_name = 'devices.pulse-reset'"
                                        + " and task_instance like :prefix")
                        .param("prefix", id + "@%").query(Long.class).single()) == 0);
                long resets = sql().as(user, jdbc -> jdbc.sql(
                                "select count(*) from device_events where device_id = :d and source = 'system'")
                        .param("d", id).query(Long.class).single());
                assertThat(resets).as("reset once").isEqualTo(1);
            }
        } finally {
            if (app != null) {
                app.destroyForcibly().waitFor();
            }
        }
    }
}
