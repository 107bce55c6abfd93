package io.virtdevice.platform;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.AppProcess;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.SseClient;
import io.virtdevice.testing.TestDatabase;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/**
 * The default run (embedded PostgreSQL) stopped the way a service manager stops it: SIGTERM with a live
 * stream open. The stream is ended, the application closes before its database (nothing logs a lost
 * connection or an error), and no PostgreSQL process is left behind.
 */
@IntegrationTest
class SigtermTests {

    @Autowired
    PasswordHasher hasher;

    @Test
    void sigtermEndsStreamsAndStopsTheEmbeddedDatabaseAfterTheApplication() throws Exception {
        int port = AppProcess.freePort();
        int databasePort = AppProcess.freePort();
        Path data = Path.of("target", "sigterm-postgres").toAbsolutePath();
        Path log = Path.of("target", "sigterm-app.log");
        Process app = AppProcess.launch(port, log, List.of(
                "--virtdevice.database.embedded.data-directory=" + data,
                "--virtdevice.database.embedded.port=" + databasePort,
                "--virtdevice.database.embedded.fresh=true",
                "--virtdevice.crypto.secret-key-file=" + data.resolveSibling("sigterm-secret.key"),
                "--virtdevice.web.secure-cookies=false",
                "--LOG_FORMAT=",
                "--logging.level.root=WARN"));
        try {
            Fixtures.TestUser user = new Fixtures(new DriverManagerDataSource(
                    "jdbc:postgresql://localhost:" + databasePort + "/virtdevice", "virtdevice_app",
                    TestDatabase.credentials(data).app()), hasher).owner();
            try (SseClient stream = SseClient.open("http://127.0.0.1:" + port, user.apiKey())) {
                assertThat(new Api(port).bearer(user.apiKey())
                        .post("/api/v1/devices", Map.of("name", "Lamp", "type", "switch")).status()).isEqualTo(201);
                assertThat(stream.next(Duration.ofSeconds(10)).type()).isEqualTo("device.created");

                app.destroy(); // SIGTERM
                assertThat(app.waitFor(60, TimeUnit.SECONDS)).isTrue();
                assertThat(stream.awaitEnd(Duration.ofSeconds(5))).isTrue();
            }
            String output = Files.readString(log);
            assertThat(output.lines().filter(l -> l.contains(" ERROR ")
                            || (l.contains(" WARN ") && l.contains("PostgresEventListener"))))
                    .as(output).isEmpty();
            assertThat(Files.exists(data.resolve("postmaster.pid"))).as("postmaster.pid").isFalse();
            assertThat(listening(databasePort)).isFalse();
        } finally {
            app.destroyForcibly().waitFor();
        }
    }

    private static boolean listening(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
