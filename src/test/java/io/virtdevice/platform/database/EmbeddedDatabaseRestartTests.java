package io.virtdevice.platform.database;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.AppInstance;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.Fixtures.TestUser;
import io.virtdevice.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The default runtime database: an embedded PostgreSQL 16 whose data directory survives a restart of the
 * application and of the server itself, even with a stale {@code postmaster.pid} left behind. Under CI this runs as root, which PostgreSQL itself refuses; the
 * embedded server copes by running in a user namespace.
 */
class EmbeddedDatabaseRestartTests {

    @TempDir
    Path temp;

    @Test
    void keepsDataAndMigrationHistoryAcrossARestart() throws Exception {
        Path data = temp.resolve("postgres");
        String[] settings = {
            "virtdevice.database.embedded.data-directory=" + data, "virtdevice.database.embedded.fresh=false"
        };
        TestUser user;
        List<Map<String, Object>> history;
        try (AppInstance first = AppInstance.start(settings)) {
            TestDatabase db = TestDatabase.of(first.context());
            user = new Fixtures(db.dataSource(), first.context().getBean(PasswordHasher.class)).owner();
            history = history(db);
            assertThat(history).isNotEmpty();
        } finally {
            EmbeddedDatabaseEnvironment.stop(data);
        }
        assertThat(data.resolve("PG_VERSION")).content().startsWith("16");
        // after a reboot the pid in a stale postmaster.pid (a killed run's) can belong to another process,
        // which PostgreSQL takes for a running server; the start must see it is not one and go ahead
        Process other = new ProcessBuilder("sleep", "300").start();
        Files.writeString(data.resolve("postmaster.pid"), other.pid() + "\n" + data + "\n");

        try (AppInstance second = AppInstance.start(settings)) {
            TestDatabase db = TestDatabase.of(second.context());
            String email = db.as(user.context(), jdbc -> jdbc.sql("select email from users where id = :id")
                    .param("id", user.userId()).query(String.class).single());

            assertThat(email).isEqualTo(user.email());
            assertThat(history(db)).as("no migration ran again").isEqualTo(history);
            // zonky's test defaults switch durability off; the runtime database must not
            assertThat(db.superuser().sql("select current_setting('fsync') || ',' || current_setting('synchronous_commit')"
                            + " || ',' || current_setting('full_page_writes')")
                    .query(String.class).single()).isEqualTo("on,on,on");
            assertThat(second.api().get("/actuator/health/readiness").status()).isEqualTo(200);
            assertThat(other.isAlive()).as("the process named by the stale file is left alone").isTrue();
        } finally {
            other.destroyForcibly();
            EmbeddedDatabaseEnvironment.stop(data);
        }
    }

    private static List<Map<String, Object>> history(TestDatabase db) {
        return db.superuser().sql("""
                        select installed_rank, version, checksum, installed_on, success
                          from flyway_schema_history order by installed_rank
                        """).query().listOfRows();
    }
}
