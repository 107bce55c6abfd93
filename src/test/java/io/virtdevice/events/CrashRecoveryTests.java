package io.virtdevice.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.kagkarlsson.scheduler.Scheduler;
import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.AppProcess;
import io.virtdevice.testing.ChangeLoad;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TenantSql;
import io.virtdevice.testing.WebhookReceiver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.core.env.Environment;

/**
 * kill -9 while changes are being made and delivered: after a restart every committed change (every
 * {@code device_events} row) reaches the webhook at least once, and nothing that was not committed is
 * ever delivered. The application runs in a separate JVM on the tests' PostgreSQL; this context's
 * scheduler is paused meanwhile, so the restarted process alone has to recover.
 */
@IntegrationTest
class CrashRecoveryTests {

    private static final int CHANGES = 1000;
    private static final int WORKERS = 8;
    private static final int KILL_AFTER = 450;

    @Autowired
    Environment environment;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    @Autowired
    Scheduler scheduler;

    @Test
    void deliversEveryCommittedChangeAfterTheProcessIsKilled() throws Exception {
        scheduler.pause();
        Fixtures.TestUser user = new Fixtures(dataSource, hasher).owner(WORKERS);
        Process app = null;
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            int port = AppProcess.freePort();
            app = launch(port, 1);
            Api api = new Api(port).bearer(user.apiKey());
            receiver.trust(api.post("/api/v1/webhooks", Map.of("url", receiver.url("/crash"))).json().path("secret")
                    .asString());
            List<String> devices = new ArrayList<>();
            for (int i = 0; i < WORKERS; i++) {
                devices.add(api.post("/api/v1/devices", Map.of("name", "Crash " + i, "type", "doorbell")).json()
                        .path("id").asString());
            }

            // every press is a change of its own (a repeated value would not be)
            ChangeLoad load = ChangeLoad.start(api, WORKERS, CHANGES,
                    (target, worker, n) -> target.post("/api/v1/devices/" + devices.get(worker) + "/press", null)
                            .status());
            load.awaitSucceeded(KILL_AFTER);
            load.pause();
            app.destroyForcibly().waitFor();
            int deliveredBeforeKill = receiver.deliveries().size();
            TenantSql sql = new TenantSql(dataSource);
            Set<String> backlog = new HashSet<>(sql.as(user, jdbc -> jdbc
                    .sql("select id::text from device_events where user_id = :u").param("u", user.userId())
                    .query(String.class).list()));
            backlog.removeAll(deliveredEvents(receiver));

            port = AppProcess.freePort();
            app = launch(port, 2);
            Instant ready = Instant.now();
            load.resume(new Api(port).bearer(user.apiKey()));
            load.join();

            Set<String> committed = new HashSet<>(sql.as(user, jdbc -> jdbc
                    .sql("select id::text from device_events where user_id = :u").param("u", user.userId())
                    .query(String.class).list()));
            assertThat(committed.size()).isBetween(WORKERS + load.succeeded(), WORKERS + load.succeeded() + load.failed());

            long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            Set<String> delivered = deliveredEvents(receiver);
            while (!delivered.containsAll(committed) && System.nanoTime() < end) {
                ChangeLoad.sleep(200);
                delivered = deliveredEvents(receiver);
            }
            Set<String> missing = new HashSet<>(committed);
            missing.removeAll(delivered);
            List<String> missingState = missing.isEmpty() ? List.of() : sql.as(user, jdbc -> jdbc.sql("""
                            select event_id || ' ' || status || ' attempts=' || attempts || ' error=' || coalesce(error, '-')
                                   || ' lease=' || coalesce(lease_until::text, '-') from webhook_deliveries
                             where event_id::text in (:ids)""")
                    .param("ids", missing)
                    .query(String.class)
                    .list());
            assertThat(delivered).as("every committed change delivered at least once; undelivered: %s (%s)",
                    missing, missingState).containsAll(committed);
            assertThat(committed).as("nothing delivered that was not committed").containsAll(delivered);
            assertThat(receiver.deliveries()).allMatch(WebhookReceiver.Delivery::signatureValid);
            assertThat(deliveredBeforeKill).isLessThan(committed.size());
            // successes are recorded in batches, a moment after the receiver has answered
            List<String> unfinished = unfinished(sql, user);
            long recordedBy = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!unfinished.isEmpty() && System.nanoTime() < recordedBy) {
                ChangeLoad.sleep(200);
                unfinished = unfinished(sql, user);
            }
            assertThat(unfinished).as("every delivery recorded as succeeded").isEmpty();
            System.out.printf("crash test: %d committed (%d acknowledged, %d lost in flight), %d requests received "
                            + "(%d before the kill)%n", committed.size(), load.succeeded(), load.failed(),
                    receiver.deliveries().size(), deliveredBeforeKill);
            Instant lastOfBacklog = receiver.deliveries().stream()
                    .filter(d -> backlog.contains(d.json().path("id").asString()))
                    .map(WebhookReceiver.Delivery::receivedAt)
                    .max(Instant::compareTo)
                    .orElse(ready);
            // negative: sent while starting, before the readiness probe first answered
            System.out.printf("crash test: backlog of %d changes undelivered at the kill, the last delivered %.1f s "
                    + "after ready%n", backlog.size(), Duration.between(ready, lastOfBacklog).toMillis() / 1000.0);
        } finally {
            if (app != null) {
                app.destroyForcibly().waitFor();
            }
            scheduler.resume();
        }
    }

    private static List<String> unfinished(TenantSql sql, Fixtures.TestUser user) {
        return sql.as(user, jdbc -> jdbc.sql("""
                        select event_id || ' ' || status || ' attempts=' || attempts || ' error=' || coalesce(error, '-')
                          from webhook_deliveries where user_id = :u and status <> 'succeeded'""")
                .param("u", user.userId())
                .query(String.class)
                .list());
    }

    private static Set<String> deliveredEvents(WebhookReceiver receiver) {
        Set<String> ids = new HashSet<>();
        receiver.deliveries().forEach(d -> ids.add(d.json().path("id").asString()));
        return ids;
    }

    /** Starts the application in its own JVM against this test's database and waits until it is ready. */
    private Process launch(int port, int run) throws IOException {
        List<String> args = new ArrayList<>(AppProcess.onTestDatabase(environment));
        args.addAll(List.of(
                "--virtdevice.webhooks.allowed-cidrs=127.0.0.1/32",
                // first attempts left unsent by the killed process are handed over as soon as the next one
                // starts (its lease owner's lock is gone), not when these leases run out; an attempt that
                // fails on this loaded machine is retried within the test's patience
                "--virtdevice.webhooks.first-attempt-lease=10m",
                "--virtdevice.webhooks.recover-interval=1s",
                "--virtdevice.webhooks.retry-delays=1s,2s,4s,8s,8s,8s",
                "--db-scheduler.polling-interval=200ms",
                "--db-scheduler.heartbeat-interval=1s",
                "--db-scheduler.missed-heartbeats-limit=4",
                "--db-scheduler.scheduler-name=crash-" + run,
                "--LOG_FORMAT=",
                "--logging.level.root=WARN",
                "--logging.level.io.virtdevice.webhooks.FirstAttempts=INFO"));
        return AppProcess.launch(port, Path.of("target", "crash-app-" + run + ".log"), args);
    }
}
