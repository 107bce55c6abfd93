package io.virtdevice.platform.database;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.AppProcess;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.util.FileSystemUtils;
import tools.jackson.databind.JsonNode;

/**
 * The backup of docs/operations.md ("Backups"), as a self-hoster runs it: {@code scripts/backup.sh} against
 * the default run's embedded PostgreSQL while the application runs and takes writes, then
 * {@code scripts/restore.sh} into a new data directory, and the application started on that finds the data
 * as it was when the backup ended (and nothing written after it), and takes writes again.
 */
@IntegrationTest
class BackupRestoreTests {

    private static final Path ROOT = Path.of("target", "backup-restore").toAbsolutePath();

    @Autowired
    PasswordHasher hasher;

    @Test
    void backsUpTheRunningEmbeddedDatabaseAndRestoresItIntoANewDataDirectory() throws Exception {
        FileSystemUtils.deleteRecursively(ROOT);
        Path original = ROOT.resolve("original").resolve("postgres");
        Path restored = ROOT.resolve("restored").resolve("postgres");
        Path archive = ROOT.resolve("backup.tar.gz");
        Files.createDirectories(ROOT);
        Process app = null;
        try {
            int port = AppProcess.freePort();
            app = launch(port, original, true, 1);
            DataSource database = new DriverManagerDataSource(
                    "jdbc:postgresql://localhost:" + Files.readAllLines(original.resolve("postmaster.pid")).get(3).trim()
                            + "/virtdevice", "virtdevice_app", TestDatabase.credentials(original).app());
            Fixtures.TestUser user = new Fixtures(database, hasher).owner(10);
            Api api = new Api(port).bearer(user.apiKey());
            String lamp = create(api, "Lamp before the backup");
            assertThat(api.put("/api/v1/devices/" + lamp + "/properties", Map.of("power", true)).status()).isEqualTo(200);
            String busy = create(api, "Switched during the backup");

            // writes go on while the backup copies the files
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicInteger written = new AtomicInteger();
            List<Integer> failures = new ArrayList<>();
            Thread writer = Thread.ofPlatform().start(() -> {
                boolean on = false;
                while (writing.get()) {
                    on = !on;
                    int status = api.put("/api/v1/devices/" + busy + "/properties", Map.of("power", on)).status();
                    if (status == 200) {
                        written.incrementAndGet();
                    } else {
                        synchronized (failures) {
                            failures.add(status);
                        }
                    }
                }
            });
            ScriptRun backup = run("scripts/backup.sh", original.toString(), archive.toString());
            writing.set(false);
            writer.join();
            assertThat(backup.exitCode()).as(backup.output()).isZero();
            assertThat(failures).isEmpty();
            assertThat(written.get()).as("changes made while the backup ran").isPositive();
            assertThat(archive).exists();

            String later = create(api, "Lamp after the backup");
            app.destroy();
            assertThat(app.waitFor(60, TimeUnit.SECONDS)).isTrue();

            ScriptRun restore = run("scripts/restore.sh", archive.toString(), restored.toString());
            assertThat(restore.exitCode()).as(restore.output()).isZero();
            assertThat(restored.resolveSibling("secret.key")).hasSameBinaryContentAs(original.resolveSibling("secret.key"));
            assertThat(run("scripts/restore.sh", archive.toString(), restored.toString()).exitCode())
                    .as("never over an existing data directory").isNotZero();

            port = AppProcess.freePort();
            app = launch(port, restored, false, 2);
            Api after = new Api(port).bearer(user.apiKey());
            JsonNode devices = after.get("/api/v1/devices?limit=100").json();
            List<String> names = new ArrayList<>();
            devices.path("items").forEach(d -> names.add(d.path("name").asString()));
            assertThat(names).contains("Lamp before the backup", "Switched during the backup")
                    .doesNotContain("Lamp after the backup");
            assertThat(after.get("/api/v1/devices/" + later).status()).isEqualTo(404);
            JsonNode restoredLamp = after.get("/api/v1/devices/" + lamp).json();
            assertThat(restoredLamp.path("properties").path("power").path("value").asBoolean())
                    .as(restoredLamp.toString()).isTrue();
            // the restored cluster takes writes, and the device switched during the backup is whole
            assertThat(after.put("/api/v1/devices/" + busy + "/properties", Map.of("power", true)).status())
                    .isEqualTo(200);
            assertThat(after.put("/api/v1/devices/" + lamp + "/properties", Map.of("power", false)).status())
                    .isEqualTo(200);
            app.destroy();
            assertThat(app.waitFor(60, TimeUnit.SECONDS)).isTrue();
        } finally {
            if (app != null) {
                app.destroyForcibly().waitFor();
            }
            LeftBehindPostmaster.stop(original, Duration.ofSeconds(30), System.err::println);
            LeftBehindPostmaster.stop(restored, Duration.ofSeconds(30), System.err::println);
        }
    }

    private static String create(Api api, String name) {
        Api.Response created = api.post("/api/v1/devices", Map.of("name", name, "type", "switch"));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        return created.json().path("id").asString();
    }

    private record ScriptRun(int exitCode, String output) {}

    private static ScriptRun run(String... command) throws Exception {
        List<String> line = new ArrayList<>(List.of("bash"));
        line.addAll(List.of(command));
        Process process = new ProcessBuilder(line).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        System.out.println(String.join(" ", command) + ":\n" + output);
        return new ScriptRun(process.exitValue(), output);
    }

    private static Process launch(int port, Path data, boolean fresh, int run) throws Exception {
        return AppProcess.launch(port, ROOT.resolve("app-" + run + ".log"), List.of(
                "--virtdevice.database.embedded.data-directory=" + data,
                "--virtdevice.database.embedded.fresh=" + fresh,
                // where a default run keeps it: next to the data directory, as backup.sh expects
                "--virtdevice.crypto.secret-key-file=" + data.resolveSibling("secret.key"),
                "--virtdevice.web.secure-cookies=false",
                "--LOG_FORMAT=",
                "--logging.level.root=WARN"));
    }
}
