package io.virtdevice.alexa;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.AppProcess;
import io.virtdevice.testing.ChangeLoad;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TenantSql;
import io.virtdevice.testing.fakes.FakeEventGateway;
import io.virtdevice.testing.fakes.FakeEventGateway.Received;
import io.virtdevice.testing.fakes.FakeLoginWithAmazon;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.env.Environment;

/**
 * kill -9 in the middle of 500 changes (doorbell presses and contact-sensor flips on 8 devices) while the
 * Event Gateway is slow, so a backlog is pending in {@code alexa_event_outbox}; then a restart. What "none
 * lost" means under coalescing:
 * <ul>
 *   <li>a DoorbellPress is never coalesced: every committed press reaches the gateway (accepted) at least
 *       once — as many accepted DoorbellPresses per doorbell as committed presses, and at most as many more
 *       as could be in flight when the process died (sent, not yet recorded);</li>
 *   <li>a contact sensor's changes may be coalesced, never dropped: every committed change is covered by an
 *       accepted ChangeReport carrying that state or a newer one (its {@code timeOfSample} is at or after the
 *       change), and the last accepted ChangeReport carries the sensor's final state.</li>
 * </ul>
 * The application runs in its own JVM; instances of the test JVM may help recover (a cluster), which proves
 * the same thing: nothing a dead process held is lost.
 */
@IntegrationTest
class AlexaEventCrashTests {

    private static final int CHANGES = 500;
    private static final int DEVICES = 8;
    private static final int KILL_AFTER = 220;

    @Autowired
    Environment environment;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    @Autowired
    FakeLoginWithAmazon lwa;

    @LocalServerPort
    int testPort;

    @Test
    void losesNoChangeWhenTheProcessIsKilledMidway() throws Exception {
        FakeEventGateway gateway = FakeEventGateway.shared();
        Fixtures.TestUser user = new Fixtures(dataSource, hasher).owner(DEVICES);
        // linked for real (AcceptGrant against the fake LWA, through this test's own instance)
        String token = AlexaLinking.link(testPort, lwa, user, AlexaRegion.NA).lwaToken();
        Process app = null;
        try {
            int port = AppProcess.freePort();
            app = launch(port, 1);
            Api api = new Api(port).bearer(user.apiKey());
            List<String> ids = new ArrayList<>();
            Map<String, String> endpointOf = new HashMap<>();
            for (int i = 0; i < DEVICES; i++) {
                var created = api.post("/api/v1/devices", Map.of("name", "Crash " + i,
                        "type", i % 2 == 0 ? "doorbell" : "contact_sensor")).json();
                ids.add(created.path("id").asString());
                endpointOf.put(created.path("id").asString(), created.path("alexaEndpointId").asString());
            }
            gateway.await(r -> token.equals(r.token()) && "AddOrUpdateReport".equals(r.name()) && r.accepted(), DEVICES);
            gateway.latency(Duration.ofMillis(40)); // a slow gateway: a backlog builds up

            ChangeLoad load = ChangeLoad.start(api, DEVICES, CHANGES, (target, worker, n) -> worker % 2 == 0
                    ? target.post("/api/v1/devices/" + ids.get(worker) + "/press", null).status()
                    : target.put("/api/v1/devices/" + ids.get(worker) + "/properties",
                            Map.of("contact", n % 2 == 1 ? "open" : "closed")).status());
            load.awaitSucceeded(KILL_AFTER);
            load.pause();
            app.destroyForcibly().waitFor();
            int beforeKill = gateway.received(r -> token.equals(r.token())).size();
            TenantSql sql = new TenantSql(dataSource);
            long pendingAtKill = sql.as(user, jdbc -> jdbc.sql(
                    "select count(*) from alexa_event_outbox where user_id = :u and status = 'pending'")
                    .param("u", user.userId()).query(Long.class).single());

            port = AppProcess.freePort();
            app = launch(port, 2);
            load.resume(new Api(port).bearer(user.apiKey()));
            load.join();

            record Change(String deviceId, String kind, Instant at, String value) {}
            List<Change> committed = sql.as(user, jdbc -> jdbc.sql("""
                            select device_id::text, kind, occurred_at, snapshot->>'contact' as contact
                              from device_events where user_id = :u and kind in ('doorbell.pressed', 'property.changed')
                             order by seq""")
                    .param("u", user.userId())
                    .query((rs, i) -> new Change(rs.getString(1), rs.getString(2),
                            rs.getTimestamp(3).toInstant(), rs.getString(4)))
                    .list());
            Awaitility.await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
                    .until(() -> sql.as(user, jdbc -> jdbc.sql(
                            "select count(*) from alexa_event_outbox where user_id = :u and status = 'pending'")
                            .param("u", user.userId()).query(Long.class).single()) == 0);

            assertThat(gateway.invalid()).isEmpty();
            assertThat(gateway.received(r -> token.equals(r.token()))).allSatisfy(r -> {
                assertThat(r.region()).isEqualTo(AlexaRegion.NA);
                assertThat(endpointOf.values()).contains(r.endpointId());
            });
            int maxDuplicates = 64; // attempts in flight at once per process (concurrency), sent but unrecorded
            for (int w = 0; w < DEVICES; w++) {
                String device = ids.get(w);
                String endpoint = endpointOf.get(device);
                List<Change> changes = committed.stream().filter(c -> c.deviceId().equals(device)).toList();
                if (w % 2 == 0) {
                    long presses = gateway.received(r -> endpoint.equals(r.endpointId())
                            && "DoorbellPress".equals(r.name()) && r.accepted()).size();
                    assertThat(presses).as("doorbell %d: accepted presses vs %d committed", w, changes.size())
                            .isBetween((long) changes.size(), (long) changes.size() + maxDuplicates);
                } else {
                    List<Received> reports = gateway.received(r -> endpoint.equals(r.endpointId())
                            && "ChangeReport".equals(r.name()) && r.accepted());
                    List<Instant> sampled = reports.stream().map(r -> Instant.parse(r.message().path("event")
                            .path("payload").path("change").path("properties").path(0).path("timeOfSample")
                            .asString())).toList();
                    for (Change change : changes) {
                        Instant at = change.at().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
                        assertThat(sampled).as("sensor %d: a report at or after the change of %s", w, at)
                                .anyMatch(s -> !s.isBefore(at));
                    }
                    String last = reports.getLast().message().path("event").path("payload").path("change")
                            .path("properties").path(0).path("value").asString();
                    String expected = "open".equals(changes.getLast().value()) ? "DETECTED" : "NOT_DETECTED";
                    assertThat(last).as("sensor %d: the final state reached Alexa", w).isEqualTo(expected);
                }
            }
            System.out.printf("alexa crash test: %d changes committed, %d pending at the kill, %d requests before the "
                    + "kill, %d in all%n", committed.size(), pendingAtKill, beforeKill,
                    gateway.received(r -> token.equals(r.token())).size());
        } finally {
            gateway.latency(Duration.ZERO);
            if (app != null) {
                app.destroyForcibly().waitFor();
            }
        }
    }

    private Process launch(int port, int run) throws IOException {
        FakeEventGateway gateway = FakeEventGateway.shared();
        List<String> args = new ArrayList<>(AppProcess.onTestDatabase(environment));
        args.addAll(List.of(
                "--virtdevice.alexa.event-gateway.na=" + gateway.url(AlexaRegion.NA),
                "--virtdevice.alexa.event-gateway.eu=" + gateway.url(AlexaRegion.EU),
                "--virtdevice.alexa.event-gateway.fe=" + gateway.url(AlexaRegion.FE),
                // the backlog outlives the restart: presses must not expire meanwhile
                "--virtdevice.alexa.event-gateway.doorbell-press-ttl=10m",
                "--virtdevice.alexa.event-gateway.poll-interval=200ms",
                "--db-scheduler.polling-interval=200ms",
                "--db-scheduler.scheduler-name=alexa-crash-" + run,
                "--LOG_FORMAT=",
                "--logging.level.root=WARN"));
        lwa.settings().forEach(setting -> args.add("--" + setting));
        return AppProcess.launch(port, Path.of("target", "alexa-crash-app-" + run + ".log"), args);
    }
}
