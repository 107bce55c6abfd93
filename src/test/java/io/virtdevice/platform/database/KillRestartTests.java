package io.virtdevice.platform.database;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.AppProcess;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TenantSql;
import io.virtdevice.testing.TestDatabase;
import io.virtdevice.testing.WebhookReceiver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/**
 * A self-hoster's crash: the default run (embedded PostgreSQL in a data directory) killed with SIGKILL while
 * 500 webhook messages are in flight, then started again on the same directory, unattended. The embedded
 * server outlives the JVM (pg_ctl started it); the new start must shut it down and come up, and the 500
 * messages the dead process had leased must go out at once after ready (not when their leases run out,
 * set to ten minutes here), each with the webhook-id it was first sent with. Prints how long after ready the
 * last one arrived.
 */
@IntegrationTest
class KillRestartTests {

    private static final int CHANGES = 500;
    private static final int DEVICES = 4;

    @Autowired
    PasswordHasher hasher;

    @Test
    void restartsOnTheDataDirectoryAfterKill9AndSendsTheLeftoverBacklogAtOnce() throws Exception {
        Path data = Path.of("target", "kill-restart-postgres").toAbsolutePath();
        int databasePort = AppProcess.freePort();
        Process app = null;
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            int port = AppProcess.freePort();
            app = launch(port, data, databasePort, true, 1);
            DataSource database = new DriverManagerDataSource(
                    "jdbc:postgresql://localhost:" + databasePort + "/virtdevice", "virtdevice_app",
                    TestDatabase.credentials(data).app());
            Fixtures.TestUser user = new Fixtures(database, hasher).owner(DEVICES);
            Api api = new Api(port).bearer(user.apiKey());
            List<String> devices = new ArrayList<>();
            for (int i = 0; i < DEVICES; i++) {
                devices.add(api.post("/api/v1/devices", Map.of("name", "Bell " + i, "type", "doorbell")).json()
                        .path("id").asString());
            }
            receiver.trust(api.post("/api/v1/webhooks", Map.of("url", receiver.url("/kill"), "events",
                    List.of("doorbell.pressed"))).json().path("secret").asString());
            // the receiver holds every request: the messages stay in flight, leased to the process
            receiver.always(WebhookReceiver.Answer.status(200).after(Duration.ofMinutes(5)));

            AtomicInteger pressed = new AtomicInteger();
            try (ExecutorService workers = Executors.newFixedThreadPool(8)) {
                for (int i = 0; i < CHANGES; i++) {
                    String device = devices.get(i % DEVICES);
                    workers.execute(() -> {
                        if (api.post("/api/v1/devices/" + device + "/press", null).status() == 200) {
                            pressed.incrementAndGet();
                        }
                    });
                }
            }
            assertThat(pressed.get()).isEqualTo(CHANGES);
            TenantSql sql = new TenantSql(database);
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> sql.count(user,
                    "select count(*) from webhook_deliveries where user_id = :id", user.userId()) == CHANGES);
            assertThat(sql.count(user, "select count(*) from webhook_deliveries where user_id = :id "
                    + "and lease_until is null", user.userId())).as("none attempted to the end").isZero();

            app.destroyForcibly().waitFor(); // SIGKILL
            Instant killed = Instant.now();
            long postmaster = Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid")).get(0).trim());
            assertThat(ProcessHandle.of(postmaster).map(ProcessHandle::isAlive))
                    .as("the embedded PostgreSQL outlives the killed application").contains(true);
            receiver.always(WebhookReceiver.Answer.status(200));

            port = AppProcess.freePort();
            app = launch(port, data, databasePort, false, 2);
            Instant ready = Instant.now();
            assertThat(ProcessHandle.of(postmaster).map(ProcessHandle::isAlive)).isNotEqualTo(java.util.Optional.of(true));

            Set<String> events = new HashSet<>(sql.as(user, jdbc -> jdbc.sql(
                            "select event_id::text from webhook_deliveries where user_id = :u")
                    .param("u", user.userId()).query(String.class).list()));
            assertThat(events).hasSize(CHANGES);
            Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100))
                    .until(() -> firstAfter(receiver, killed).keySet().containsAll(events));

            Map<String, Instant> resent = firstAfter(receiver, killed);
            Instant last = resent.values().stream().max(Instant::compareTo).orElseThrow();
            Map<String, Set<String>> idsByEvent = new HashMap<>();
            receiver.deliveries().forEach(d -> idsByEvent
                    .computeIfAbsent(d.json().path("id").asString(), e -> new HashSet<>()).add(d.id()));
            assertThat(idsByEvent.values()).as("one webhook-id per message, before and after the kill")
                    .allMatch(ids -> ids.size() == 1);
            assertThat(receiver.deliveries()).allMatch(WebhookReceiver.Delivery::signatureValid);
            System.out.printf("kill -9 restart: %d messages in flight at the kill, the last delivered %.1f s after "
                            + "ready (ready %.1f s after the kill)%n", CHANGES,
                    Duration.between(ready, last).toMillis() / 1000.0, Duration.between(killed, ready).toMillis() / 1000.0);

            app.destroy(); // SIGTERM: stops its own server, as usual
            assertThat(app.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(data.resolve("postmaster.pid")).doesNotExist();
        } finally {
            if (app != null) {
                app.destroyForcibly().waitFor();
            }
            LeftBehindPostmaster.stop(data, Duration.ofSeconds(30), System.err::println);
        }
    }

    /** Per event id, when its message first arrived after {@code since}. */
    private static Map<String, Instant> firstAfter(WebhookReceiver receiver, Instant since) {
        Map<String, Instant> first = new HashMap<>();
        for (WebhookReceiver.Delivery d : receiver.deliveries()) {
            if (d.receivedAt().isAfter(since)) {
                first.merge(d.json().path("id").asString(), d.receivedAt(), (a, b) -> a.isBefore(b) ? a : b);
            }
        }
        return first;
    }

    private static Process launch(int port, Path data, int databasePort, boolean fresh, int run) throws Exception {
        return AppProcess.launch(port, Path.of("target", "kill-restart-app-" + run + ".log"), List.of(
                "--virtdevice.database.embedded.data-directory=" + data,
                "--virtdevice.database.embedded.port=" + databasePort,
                "--virtdevice.database.embedded.fresh=" + fresh,
                "--virtdevice.crypto.secret-key-file=" + data.resolveSibling("kill-restart-secret.key"),
                "--virtdevice.webhooks.allowed-cidrs=127.0.0.1/32",
                // held requests must not time out before the kill (this machine may be slow); without a
                // prompt hand-over the backlog would wait for these leases
                "--virtdevice.webhooks.timeout=5m",
                "--virtdevice.webhooks.first-attempt-lease=10m",
                // as many in flight as the sender's connections per receiver; the rest wait their turn,
                // leased (more would fail waiting for a connection, and be retries instead)
                "--virtdevice.webhooks.first-attempt-concurrency=20",
                "--virtdevice.web.secure-cookies=false",
                "--LOG_FORMAT=",
                "--logging.level.root=WARN",
                "--logging.level.io.virtdevice.webhooks.FirstAttempts=INFO"));
    }
}
