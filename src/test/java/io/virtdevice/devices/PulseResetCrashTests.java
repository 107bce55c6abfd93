package io.virtdevice.devices;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.kagkarlsson.scheduler.Scheduler;
import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.AppProcess;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TenantSql;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.core.env.Environment;
import tools.jackson.databind.JsonNode;

/**
 * A pulse's reset outlives the process that started the pulse: the application runs in a JVM of its own on
 * the tests' PostgreSQL, pulses momentary sensors and is killed with kill -9 before the resets fall due;
 * what is left (the next process's scheduler, or its sweep or this context's, which take over a reset its
 * staging instance did not run; this context's scheduler is paused) resets every sensor once, as a system
 * change with its event and activity entry.
 */
@IntegrationTest
class PulseResetCrashTests {

    private static final int SENSORS = 5;

    /** Long enough for the first process to be killed before any reset falls due, even on a slow machine. */
    private static final int PULSE_SECONDS = 20;

    @Autowired
    Environment environment;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    @Autowired
    Scheduler scheduler;

    @Test
    void resetsEveryPulseOnceAfterTheProcessThatStartedItWasKilled() throws Exception {
        scheduler.pause();
        Fixtures.TestUser user = new Fixtures(dataSource, hasher).owner(SENSORS);
        TenantSql sql = new TenantSql(dataSource);
        Process app = null;
        try {
            int port = AppProcess.freePort();
            app = launch(port, 1);
            Api api = new Api(port).bearer(user.apiKey());
            List<String> sensors = new ArrayList<>();
            for (int i = 0; i < SENSORS; i++) {
                String type = i % 2 == 0 ? "motion_sensor" : "contact_sensor";
                Api.Response created = api.post("/api/v1/devices",
                        Map.of("name", "Crash " + i, "type", type, "momentary", true, "pulseSeconds", PULSE_SECONDS));
                assertThat(created.status()).as(created.toString()).isEqualTo(201);
                sensors.add(created.json().path("id").asString());
            }
            for (int i = 0; i < SENSORS; i++) {
                // a pulse, and for some a second one while DETECTED (a fresh edge, and a superseded reset)
                for (int n = 0; n <= i % 2; n++) {
                    assertThat(api.post("/api/v1/devices/" + sensors.get(i) + "/pulse", null).status()).isEqualTo(200);
                }
            }

            app.destroyForcibly().waitFor();

            long pending = sql.as(user, jdbc -> jdbc.sql("""
                            select count(*) from devices where user_id = :u and pulse_reset_at is not null""")
                    .param("u", user.userId()).query(Long.class).single());
            assertThat(pending).as("pulses under way at the kill").isEqualTo(SENSORS);
            port = AppProcess.freePort();
            app = launch(port, 2);
            Api restarted = new Api(port).bearer(user.apiKey());

            for (int i = 0; i < SENSORS; i++) {
                String id = sensors.get(i);
                String idle = i % 2 == 0 ? "not_detected" : "closed";
                String property = i % 2 == 0 ? "motion" : "contact";
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> idle.equals(
                        restarted.get("/api/v1/devices/" + id).json().path("properties").path(property).path("value")
                                .asString()));
                JsonNode device = restarted.get("/api/v1/devices/" + id).json();
                assertThat(device.path("properties").path(property).path("lastChangedBy").asString()).isEqualTo("system");
                assertThat(device.path("pulseResetAt").isNull()).isTrue();
            }
            // every reset staged before the kill has run, superseded ones without a change
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> sql.as(user, jdbc ->
                    jdbc.sql("select count(*) from scheduled_tasks where task_name = 'devices.pulse-reset'"
                                    + " and task_instance like any (cast(:ids as text[]))")
                            .param("ids", sensors.stream().map(s -> s + "@%").toArray(String[]::new))
                            .query(Long.class).single()) == 0);
            for (int i = 0; i < SENSORS; i++) {
                String id = sensors.get(i);
                // created, pulse, (reset early + pulse again), reset: the reset after the kill exactly once
                long systemEvents = sql.as(user, jdbc -> jdbc.sql("""
                                select count(*) from device_events where device_id = cast(:d as uuid) and source = 'system'""")
                        .param("d", id).query(Long.class).single());
                long systemActivity = sql.as(user, jdbc -> jdbc.sql("""
                                select count(*) from activity_logs where device_id = cast(:d as uuid) and source = 'system'""")
                        .param("d", id).query(Long.class).single());
                int expected = 1 + i % 2;
                assertThat(systemEvents).as("system changes of sensor " + i).isEqualTo(expected);
                assertThat(systemActivity).as("system activity of sensor " + i).isEqualTo(expected);
                assertThat(restarted.get("/api/v1/devices/" + id).json().path("version").asLong())
                        .isEqualTo(3 + 2L * (i % 2));
            }
        } finally {
            if (app != null) {
                app.destroyForcibly().waitFor();
            }
            scheduler.resume();
        }
    }

    /** Starts the application in its own JVM against this test's database and waits until it is ready. */
    private Process launch(int port, int run) throws IOException {
        List<String> args = new ArrayList<>(AppProcess.onTestDatabase(environment));
        args.addAll(List.of(
                "--db-scheduler.polling-interval=500ms",
                "--db-scheduler.heartbeat-interval=1s",
                "--db-scheduler.missed-heartbeats-limit=4",
                "--db-scheduler.scheduler-name=pulse-crash-" + run,
                "--LOG_FORMAT=",
                "--logging.level.root=WARN"));
        return AppProcess.launch(port, Path.of("target", "pulse-crash-app-" + run + ".log"), args);
    }
}
