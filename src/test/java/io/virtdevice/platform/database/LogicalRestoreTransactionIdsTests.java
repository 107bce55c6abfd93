package io.virtdevice.platform.database;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.platform.database.BackupRestoreTests.ScriptRun;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.AppProcess;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TestDatabase;
import io.virtdevice.testing.WebhookReceiver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.util.FileSystemUtils;

/**
 * A logical backup ({@code scripts/backup.sh --logical}) restored with {@code scripts/restore.sh} into a new
 * cluster, whose transaction ids start again far below the ids the restored events ({@code device_events.tx_id})
 * and the partitions' ledger ({@code device_event_partitions}) carry (docs/operations.md, "Logical backups
 * (pg_dump)"). The original cluster is run ahead by 20,000 transaction ids first, as any cluster that has run
 * for a while is, and the webhook consumer is two events behind when the dump is taken (its position set back
 * and the two messages not yet staged, exactly the state of a consumer that had not got to them). After the
 * restore: the two events reach the webhook receiver exactly once, a change made after the restore reaches
 * it too, the partition job leaves the ranges covering the new cluster's ids without errors, and retention
 * drops the restored events' range (written "two days ago") once every consumer is past it.
 */
@IntegrationTest
class LogicalRestoreTransactionIdsTests {

    private static final Path ROOT = Path.of("target", "logical-restore-xids").toAbsolutePath();
    private static final int AHEAD = 20_000;
    private static final String WEBHOOKS_TO_THE_TEST = "--virtdevice.webhooks.allowed-cidrs=127.0.0.1/32";

    @Autowired
    PasswordHasher hasher;

    @Test
    void eventsPendingAtTheDumpAndNewOnesReachTheConsumersOfTheRestoredCluster() throws Exception {
        ScriptRun fetch = BackupRestoreTests.run(Map.of(), "scripts/pg-client.sh");
        assertThat(fetch.exitCode()).as(fetch.output()).isZero();
        String bin = fetch.output().strip().lines().reduce((first, last) -> last).orElseThrow();
        Map<String, String> environment = Map.of(
                "PG_BINDIR", bin,
                "JAVA_HOME", System.getProperty("java.home"),
                "VIRTDEVICE_CLASSPATH", System.getProperty("java.class.path"));
        FileSystemUtils.deleteRecursively(ROOT);
        Path original = ROOT.resolve("original").resolve("postgres");
        Path restored = ROOT.resolve("restored").resolve("postgres");
        Path unfixedData = ROOT.resolve("restored-without-fix-up").resolve("postgres");
        Path archive = ROOT.resolve("backup.tar");
        Files.createDirectories(ROOT);
        Process app = null;
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            int port = AppProcess.freePort();
            app = BackupRestoreTests.launch(ROOT, port, original, true, 1, WEBHOOKS_TO_THE_TEST);
            JdbcClient superuser = superuser(original);
            // a cluster that has run a while: its ids are well ahead of a new cluster's
            superuser.sql("""
                    do $$ begin
                        for i in 1..%d loop perform pg_current_xact_id(); commit; end loop;
                    end $$""".formatted(AHEAD)).update();
            Fixtures.TestUser user = new Fixtures(BackupRestoreTests.appRole(original), hasher).owner(10);
            Api api = new Api(port).bearer(user.apiKey());
            receiver.trust(api.post("/api/v1/webhooks", Map.of("url", receiver.url("/restore"), "events",
                    List.of("property.changed"))).json().path("secret").asString());
            String lamp = api.post("/api/v1/devices", Map.of("name", "Lamp", "type", "switch")).json()
                    .path("id").asString();
            assertThat(api.put("/api/v1/devices/" + lamp + "/properties", Map.of("power", true)).status())
                    .isEqualTo(200);
            receiver.await(1, Duration.ofSeconds(60));
            int before;
            List<String> pending;
            long oldTx;
            long pendingSeq;
            try (Connection consumerLock = DriverManager.getConnection(url(original), "postgres",
                    TestDatabase.credentials(original).superuser())) {
                // the webhook consumer does not get to the next two changes: its position row is locked (the
                // relay takes it FOR UPDATE SKIP LOCKED and passes), as when the dump is taken mid-batch
                consumerLock.setAutoCommit(false);
                try (Statement lock = consumerLock.createStatement()) {
                    lock.execute("select * from event_consumer_positions where consumer = 'webhooks' for update");
                }
                for (boolean on : List.of(false, true)) {
                    assertThat(api.put("/api/v1/devices/" + lamp + "/properties", Map.of("power", on)).status())
                            .isEqualTo(200);
                }
                pending = superuser.sql("""
                        select id::text from device_events where kind = 'property.changed'
                        order by seq desc limit 2""").query(String.class).list();
                long position = superuser.sql("select seq from event_consumer_positions where consumer = 'webhooks'")
                        .query(Long.class).single();
                assertThat(superuser.sql("select count(*) from device_events where seq > :seq and id::text in (:ids)")
                        .param("seq", position).param("ids", pending).query(Long.class).single())
                        .as("both after the webhook consumer's position").isEqualTo(2);
                // written two days ago, so that retention (at least a day) may drop them once they are processed
                superuser.sql("update device_events set occurred_at = occurred_at - interval '2 days'").update();
                pendingSeq = superuser.sql("select max(seq) from device_events").query(Long.class).single();
                oldTx = superuser.sql("select max(tx_id)::text::bigint from device_events").query(Long.class).single();
                System.out.println("original cluster: newest event tx " + oldTx + ", ledger " + ledger(superuser));

                ScriptRun backup = BackupRestoreTests.run(environment, "scripts/backup.sh", "--logical", original.toString(),
                        archive.toString());
                assertThat(backup.exitCode()).as(backup.output()).isZero();
                before = receiver.deliveries().size();
                assertThat(before).as("nothing delivered past the locked position").isEqualTo(1);
                app.destroy();
                assertThat(app.waitFor(60, TimeUnit.SECONDS)).isTrue();
            } // the lock's connection ended with the embedded server, which stops with the application

            // the same archive loaded without the fix-up (as a pg_dump moved by hand would be): the application
            // refuses to start, naming the script and the documentation (RestoredTransactionIdsCheck, V022)
            Path bare = ROOT.resolve("scripts-without-fix-up");
            Files.createDirectories(bare);
            for (String script : List.of("restore.sh", "pg-client.sh")) {
                Files.copy(Path.of("scripts", script), bare.resolve(script));
            }
            Files.writeString(bare.resolve("logical-restore-xids.sql"), "-- left out\n");
            ScriptRun unfixed = BackupRestoreTests.run(environment, bare.resolve("restore.sh").toString(),
                    archive.toString(), unfixedData.toString());
            assertThat(unfixed.exitCode()).as(unfixed.output()).isZero();
            int refusedPort = AppProcess.freePort();
            assertThatThrownBy(() -> BackupRestoreTests.launch(ROOT, refusedPort, unfixedData, false, 3,
                    WEBHOOKS_TO_THE_TEST))
                    .hasMessageContaining("Refusing to start")
                    .hasMessageContaining("scripts/logical-restore-xids.sql")
                    .hasMessageContaining("docs/operations.md");
            String refusal = Files.readString(ROOT.resolve("app-3.log")).lines()
                    .filter(l -> l.contains("Refusing to start")).findFirst().orElseThrow();
            System.out.println("without the fix-up: " + refusal);

            ScriptRun restore = BackupRestoreTests.run(environment, "scripts/restore.sh", archive.toString(), restored.toString());
            assertThat(restore.exitCode()).as(restore.output()).isZero();

            port = AppProcess.freePort();
            app = BackupRestoreTests.launch(ROOT, port, restored, false, 2, WEBHOOKS_TO_THE_TEST);
            JdbcClient restoredDb = superuser(restored);
            long newTx = restoredDb.sql("select pg_current_xact_id()::text::bigint").query(Long.class).single();
            System.out.println("restored cluster: transaction " + newTx + ", ledger " + ledger(restoredDb));
            assertThat(newTx).as("the new cluster's ids start below the restored ones").isLessThan(oldTx);

            // (i) the two events pending at the dump: delivered, each once
            Awaitility.await("the events pending at the dump").atMost(Duration.ofSeconds(90))
                    .until(() -> eventIds(receiver, before).containsAll(pending));
            // (ii) a change after the restore
            Api after = new Api(port).bearer(user.apiKey());
            String fresh = switchAndAwaitDelivery(after, lamp, false, restoredDb, receiver, before);
            receiver.assertStaysAt(before + 3, Duration.ofSeconds(3));
            assertThat(eventIds(receiver, before)).containsExactlyInAnyOrder(pending.get(0), pending.get(1), fresh);

            // (iii) the partition job: the new cluster's ids are in a range of their own, no event in the default
            // partition, no range ahead of the new ids sealed
            assertThat(restoredDb.sql("select app.ensure_device_event_partitions(1000, interval '1 day')")
                    .query(Integer.class).single()).isNotNull();
            String ledgerAfter = ledger(restoredDb);
            System.out.println("restored cluster after the job: " + ledgerAfter + ", retention floor "
                    + restoredDb.sql("select app.device_events_retention_floor()::text").query(String.class).single());
            assertThat(restoredDb.sql("select count(*) from device_events_default").query(Long.class).single())
                    .as("events in the default partition").isZero();
            assertThat(restoredDb.sql("""
                    select count(*) from device_event_partitions
                    where dropped_at is null and from_tx <= pg_current_xact_id() and pg_current_xact_id() < to_tx
                      and sealed_seq is null""").query(Long.class).single())
                    .as("a range open for the new cluster's ids: " + ledgerAfter).isEqualTo(1);
            assertThat(restoredDb.sql("""
                    select count(*) from device_event_partitions
                    where sealed_seq is not null
                      and to_tx > pg_snapshot_xmin(pg_current_snapshot())""").query(Long.class).single())
                    .as("no sealed range above the new cluster's ids: " + ledgerAfter).isZero();
            assertThat(restoredDb.sql("select count(*) from device_events where tx_id >= pg_current_xact_id()")
                    .query(Long.class).single()).as("events above the new cluster's ids").isZero();
            // retention drops the restored range once every consumer is past it (they catch up on their own)
            Awaitility.await("retention drops the restored events' range").atMost(Duration.ofSeconds(90))
                    .until(() -> {
                        restoredDb.sql("select app.drop_expired_device_event_partition(interval '1 day')")
                                .query(String.class).list();
                        return restoredDb.sql("select count(*) from device_event_partitions "
                                + "where name = 'device_events_2' and dropped_at is not null").query(Long.class).single() == 1;
                    });
            System.out.println("restored cluster after retention: " + ledger(restoredDb));
            assertThat(restoredDb.sql("select app.device_events_expired_through()").query(Long.class).single())
                    .as("live streams resuming from a restored event are told to reload").isEqualTo(pendingSeq);
            switchAndAwaitDelivery(after, lamp, true, restoredDb, receiver, before);
            receiver.assertStaysAt(before + 4, Duration.ofSeconds(3));
            app.destroy();
            assertThat(app.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(Files.readString(ROOT.resolve("app-2.log"))).doesNotContain("ERROR");
        } finally {
            if (app != null) {
                app.destroyForcibly().waitFor();
            }
            LeftBehindPostmaster.stop(original, Duration.ofSeconds(30), System.err::println);
            LeftBehindPostmaster.stop(restored, Duration.ofSeconds(30), System.err::println);
            LeftBehindPostmaster.stop(unfixedData, Duration.ofSeconds(30), System.err::println);
        }
    }

    /** Switches the lamp and waits until the webhook receiver has the change's event; returns its id. */
    private static String switchAndAwaitDelivery(Api api, String lamp, boolean on, JdbcClient superuser,
            WebhookReceiver receiver, int from) {
        assertThat(api.put("/api/v1/devices/" + lamp + "/properties", Map.of("power", on)).status()).isEqualTo(200);
        String event = superuser.sql("select id::text from device_events order by seq desc limit 1")
                .query(String.class).single();
        Awaitility.await("the change's webhook").atMost(Duration.ofSeconds(90))
                .until(() -> eventIds(receiver, from).contains(event));
        return event;
    }

    private static List<String> eventIds(WebhookReceiver receiver, int from) {
        List<WebhookReceiver.Delivery> all = receiver.deliveries();
        List<String> ids = new ArrayList<>();
        all.subList(from, all.size()).forEach(d -> ids.add(d.json().path("id").asString()));
        return ids;
    }

    private static String ledger(JdbcClient superuser) {
        return superuser.sql("""
                select coalesce(string_agg(name || ' [' || from_tx || ', ' || to_tx || ') sealed '
                       || coalesce(sealed_seq::text, '-') || case when dropped_at is null then '' else ' dropped' end,
                       '; ' order by from_tx), '') from device_event_partitions""").query(String.class).single();
    }

    private static JdbcClient superuser(Path dataDirectory) throws Exception {
        return TestDatabase.superuser(url(dataDirectory), TestDatabase.credentials(dataDirectory).superuser());
    }

    private static String url(Path dataDirectory) throws Exception {
        return "jdbc:postgresql://localhost:"
                + Files.readAllLines(dataDirectory.resolve("postmaster.pid")).get(3).trim() + "/virtdevice";
    }
}
