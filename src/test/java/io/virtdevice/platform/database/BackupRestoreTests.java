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
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.util.FileSystemUtils;
import tools.jackson.databind.JsonNode;

/**
 * The backups of docs/operations.md ("Backups"), as a self-hoster runs them: {@code scripts/backup.sh}
 * (physical, or {@code --logical}: {@code pg_dump}) against the default run's embedded PostgreSQL while the
 * application runs and takes writes, then {@code scripts/restore.sh} into a new data directory, and the
 * application started on that finds the data as it was when the backup ended (and nothing written after
 * it), with the same row-level security and grants, and takes writes again. The logical backup needs a
 * PostgreSQL client of version 16 or newer, which Debian 12 lacks: {@code scripts/pg-client.sh} fetches
 * Debian 13's once (into ~/.cache/virtdevice).
 */
@IntegrationTest
class BackupRestoreTests {

    private static final Path ROOT = Path.of("target", "backup-restore").toAbsolutePath();

    @Autowired
    PasswordHasher hasher;

    @Test
    void backsUpTheRunningEmbeddedDatabaseAndRestoresItIntoANewDataDirectory() throws Exception {
        backUpAndRestore("physical", List.of(), "backup.tar.gz", Map.of());
    }

    @Test
    void dumpsTheRunningEmbeddedDatabaseWithPgDumpAndRestoresItIntoANewDataDirectory() throws Exception {
        ScriptRun fetch = run(Map.of(), "scripts/pg-client.sh");
        assertThat(fetch.exitCode()).as(fetch.output()).isZero();
        String bin = fetch.output().strip().lines().reduce((first, last) -> last).orElseThrow();
        // the restore starts the embedded server alone, from the classes the application runs from
        backUpAndRestore("logical", List.of("--logical"), "backup.tar", Map.of(
                "PG_BINDIR", bin,
                "JAVA_HOME", System.getProperty("java.home"),
                "VIRTDEVICE_CLASSPATH", System.getProperty("java.class.path")));
    }

    private void backUpAndRestore(String kind, List<String> backupOptions, String archiveName,
            Map<String, String> environment) throws Exception {
        Path root = ROOT.resolve(kind);
        FileSystemUtils.deleteRecursively(root);
        Path original = root.resolve("original").resolve("postgres");
        Path restored = root.resolve("restored").resolve("postgres");
        Path archive = root.resolve(archiveName);
        Files.createDirectories(root);
        Process app = null;
        try {
            int port = AppProcess.freePort();
            app = launch(root, port, original, true, 1);
            DataSource database = appRole(original);
            List<String> isolation = isolation(database);
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
            List<String> backupCommand = new ArrayList<>(List.of("scripts/backup.sh"));
            backupCommand.addAll(backupOptions);
            backupCommand.addAll(List.of(original.toString(), archive.toString()));
            ScriptRun backup = run(environment, backupCommand.toArray(String[]::new));
            writing.set(false);
            writer.join();
            assertThat(backup.exitCode()).as(backup.output()).isZero();
            assertThat(failures).isEmpty();
            assertThat(written.get()).as("changes made while the backup ran").isPositive();
            assertThat(archive).exists();

            String later = create(api, "Lamp after the backup");
            app.destroy();
            assertThat(app.waitFor(60, TimeUnit.SECONDS)).isTrue();

            ScriptRun restore = run(environment, "scripts/restore.sh", archive.toString(), restored.toString());
            assertThat(restore.exitCode()).as(restore.output()).isZero();
            assertThat(restored.resolveSibling("secret.key")).hasSameBinaryContentAs(original.resolveSibling("secret.key"));
            assertThat(run(environment, "scripts/restore.sh", archive.toString(), restored.toString()).exitCode())
                    .as("never over an existing data directory").isNotZero();

            port = AppProcess.freePort();
            app = launch(root, port, restored, false, 2);
            assertThat(isolation(appRole(restored))).as("row-level security, policies and grants").isEqualTo(isolation);
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

    static DataSource appRole(Path dataDirectory) throws Exception {
        return new DriverManagerDataSource("jdbc:postgresql://localhost:"
                + Files.readAllLines(dataDirectory.resolve("postmaster.pid")).get(3).trim() + "/virtdevice",
                "virtdevice_app", TestDatabase.credentials(dataDirectory).app());
    }

    /** What keeps tenants apart, as the catalogs describe it: forced RLS, the policies, the app role's grants. */
    private static List<String> isolation(DataSource database) {
        JdbcClient sql = JdbcClient.create(database);
        List<String> facts = new ArrayList<>();
        facts.addAll(sql.sql("""
                select 'rls ' || n.nspname || '.' || c.relname || ' ' || c.relrowsecurity || ' ' || c.relforcerowsecurity
                from pg_class c join pg_namespace n on n.oid = c.relnamespace
                where n.nspname = 'app' and c.relkind in ('r', 'p') order by 1""").query(String.class).list());
        facts.addAll(sql.sql("""
                select 'policy ' || schemaname || '.' || tablename || ' ' || policyname || ' ' || cmd || ' '
                       || array_to_string(roles, ',') || ' ' || coalesce(qual, '') || ' ' || coalesce(with_check, '')
                from pg_policies order by 1""").query(String.class).list());
        facts.addAll(sql.sql("""
                select 'grant ' || table_schema || '.' || table_name || ' ' || privilege_type
                from information_schema.role_table_grants where grantee = 'virtdevice_app' order by 1""")
                .query(String.class).list());
        assertThat(facts).anyMatch(f -> f.startsWith("policy ")).anyMatch(f -> f.endsWith(" true true"));
        return facts;
    }

    private static String create(Api api, String name) {
        Api.Response created = api.post("/api/v1/devices", Map.of("name", name, "type", "switch"));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        return created.json().path("id").asString();
    }

    record ScriptRun(int exitCode, String output) {}

    static ScriptRun run(Map<String, String> environment, String... command) throws Exception {
        List<String> line = new ArrayList<>(List.of("bash"));
        line.addAll(List.of(command));
        ProcessBuilder builder = new ProcessBuilder(line).redirectErrorStream(true);
        builder.environment().putAll(environment);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes());
        // the first pg-client.sh downloads about 20 MB of Debian packages (43-70 s on the loaded build machine)
        assertThat(process.waitFor(600, TimeUnit.SECONDS)).isTrue();
        System.out.println(String.join(" ", command) + ":\n" + output);
        return new ScriptRun(process.exitValue(), output);
    }

    static Process launch(Path root, int port, Path data, boolean fresh, int run, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of(
                "--virtdevice.database.embedded.data-directory=" + data,
                "--virtdevice.database.embedded.fresh=" + fresh,
                // where a default run keeps it: next to the data directory, as backup.sh expects
                "--virtdevice.crypto.secret-key-file=" + data.resolveSibling("secret.key"),
                "--virtdevice.web.secure-cookies=false",
                "--LOG_FORMAT=",
                "--logging.level.root=WARN"));
        args.addAll(List.of(more));
        return AppProcess.launch(port, root.resolve("app-" + run + ".log"), args);
    }
}
