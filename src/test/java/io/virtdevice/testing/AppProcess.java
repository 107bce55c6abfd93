package io.virtdevice.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.core.env.Environment;

/**
 * The application in a JVM of its own (the test class path, {@code VirtDeviceApplication}), for what only a
 * real process shows: kill -9, SIGTERM, what is left behind. Output goes to {@code log}.
 */
public final class AppProcess {

    private AppProcess() {}

    /** Starts it with {@code --server.port=port} and {@code args}, and waits until it reports ready. */
    public static Process launch(int port, Path log, List<String> args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-XX:TieredStopAtLevel=1", "-Duser.timezone=UTC",
                "-cp", System.getProperty("java.class.path"),
                "io.virtdevice.VirtDeviceApplication",
                "--server.port=" + port));
        command.addAll(args);
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        // a fresh data directory (initdb, every migration) on a busy 2-core machine can take minutes
        long end = System.nanoTime() + Duration.ofSeconds(240).toNanos();
        Api probe = new Api(port);
        while (System.nanoTime() < end) {
            if (!process.isAlive()) {
                throw new AssertionError("the application exited: " + Files.readString(log));
            }
            try {
                if (probe.get("/actuator/health/readiness").status() == 200) {
                    return process;
                }
            } catch (RuntimeException e) {
                // not listening yet
            }
            sleep(200);
        }
        process.destroyForcibly();
        throw new AssertionError("the application did not become ready: " + Files.readString(log));
    }

    /**
     * The arguments that point a process at the tests' embedded PostgreSQL (app and owner roles) and the
     * tests' master key file, so it sees and can open what the test context wrote.
     */
    public static List<String> onTestDatabase(int databasePort, String appPassword, String ownerPassword) {
        Path keyFile = Path.of(System.getProperty("virtdevice.database.embedded.data-directory", "data/postgres"))
                .toAbsolutePath().normalize().resolveSibling("secret.key");
        return List.of(
                "--spring.datasource.url=jdbc:postgresql://localhost:" + databasePort + "/virtdevice",
                "--spring.datasource.username=virtdevice_app",
                "--spring.datasource.password=" + appPassword,
                "--spring.flyway.user=virtdevice_owner",
                "--spring.flyway.password=" + ownerPassword,
                "--virtdevice.crypto.secret-key-file=" + keyFile);
    }

    /**
     * The arguments that point a separate process at this test context's embedded PostgreSQL (as the app and
     * owner roles) and its secret key file, with plain-HTTP cookies; a test adds its own after them.
     */
    public static List<String> onTestDatabase(Environment environment) {
        List<String> arguments = new ArrayList<>(onTestDatabase(
                Integer.parseInt(environment.getRequiredProperty("virtdevice.database.embedded.actual-port")),
                environment.getRequiredProperty("spring.datasource.password"),
                environment.getRequiredProperty("spring.flyway.password")));
        arguments.add("--virtdevice.web.secure-cookies=false");
        return arguments;
    }

    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
