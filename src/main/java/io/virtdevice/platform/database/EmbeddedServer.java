package io.virtdevice.platform.database;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.springframework.boot.logging.LogLevel;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

/**
 * The embedded PostgreSQL alone, without the application: started on a data directory exactly as the
 * application starts it (the same binaries, roles, database and passwords, {@link EmbeddedDatabaseEnvironment}),
 * so that {@code scripts/restore.sh} can load a logical backup ({@code pg_dump}) into a new data directory
 * before VirtDevice first runs on it; Flyway then finds the restored schema history and migrates it forward
 * if the dump is from an older release. Prints one line {@code ready PORT} when the server accepts
 * connections and runs until the JVM is stopped (SIGTERM, Ctrl-C), then stops the server (a fast shutdown).
 *
 * <pre>java -cp virtdevice.jar -Dloader.main=io.virtdevice.platform.database.EmbeddedServer \
 *     org.springframework.boot.loader.launch.PropertiesLauncher DATA_DIR</pre>
 */
public final class EmbeddedServer {

    private EmbeddedServer() {}

    public static void main(String[] args) throws InterruptedException {
        if (args.length != 1) {
            System.err.println("usage: EmbeddedServer DATA_DIR");
            System.exit(2);
        }
        Path dataDirectory = Path.of(args[0]).toAbsolutePath().normalize();
        // no Spring Boot logging set-up here: without this, Logback's default prints every DEBUG line
        LoggingSystem.get(EmbeddedServer.class.getClassLoader()).setLogLevel(LoggingSystem.ROOT_LOGGER_NAME, LogLevel.WARN);
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources().addFirst(new MapPropertySource("embedded-server", Map.of(
                "virtdevice.database.embedded.data-directory", dataDirectory.toString(),
                // a restore needs few connections and little cache, whatever the machine
                "virtdevice.database.embedded.shared-buffers", "32MB",
                "virtdevice.database.embedded.max-connections", "20")));
        new EmbeddedDatabaseEnvironment(destination -> destination.get()).postProcessEnvironment(environment, null);
        EmbeddedPostgres postgres = EmbeddedDatabaseEnvironment.running(dataDirectory);
        // stop() is idempotent: whichever of this hook and Spring Boot's shutdown handler runs first stops it
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                EmbeddedDatabaseEnvironment.stop(dataDirectory);
            } catch (IOException e) {
                System.err.println("could not stop the embedded PostgreSQL in " + dataDirectory + ": " + e);
            }
        }));
        System.out.println("ready " + postgres.getPort());
        System.out.flush();
        Thread.currentThread().join();
    }
}
