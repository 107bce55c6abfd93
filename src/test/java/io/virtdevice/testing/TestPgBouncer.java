package io.virtdevice.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A PgBouncer in <em>transaction</em> mode the tests start themselves in front of a PostgreSQL server, the
 * way an operator puts one in front of several instances: Debian's {@code pgbouncer} package (.ci/run
 * installs it), SCRAM authentication with the roles' passwords, on a free loopback port, one per server
 * port and test JVM, stopped when the JVM exits. Started as root it drops to {@code nobody} (PgBouncer
 * refuses to run as root).
 */
public final class TestPgBouncer {

    private static final Map<Integer, Integer> PORTS = new ConcurrentHashMap<>();
    private static final Map<Integer, Path> LOGS = new ConcurrentHashMap<>();
    private static final Pattern STATS = Pattern.compile("LOG stats: (\\d+) xacts/s");

    private TestPgBouncer() {}

    /**
     * The port of a PgBouncer (started on first use) that pools {@code database} of the server on
     * {@code serverPort} for the given roles and passwords.
     */
    public static synchronized int port(int serverPort, String database, Map<String, String> passwords) {
        return PORTS.computeIfAbsent(serverPort, p -> start(p, database, passwords));
    }

    /**
     * Transactions PgBouncer has passed to the server so far, from the statistics it logs every second
     * (its admin console refuses pgjdbc, which sends a SET on connecting).
     */
    public static long transactions(int port) {
        Path log = LOGS.get(port);
        try (Stream<String> lines = Files.lines(log)) {
            return lines.map(STATS::matcher).filter(Matcher::find).mapToLong(m -> Long.parseLong(m.group(1))).sum();
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + log, e);
        }
    }

    private static int start(int serverPort, String database, Map<String, String> passwords) {
        Path binary = Stream.of(System.getenv("PATH").split(":"), new String[] {"/usr/sbin", "/usr/local/sbin"})
                .flatMap(Stream::of)
                .map(dir -> Path.of(dir, "pgbouncer"))
                .filter(Files::isExecutable)
                .findFirst()
                .orElseThrow(() -> new IllegalStateException(
                        "pgbouncer is not installed (apt-get install -y pgbouncer; .ci/run installs it)"));
        int port = AppProcess.freePort();
        try {
            Path directory = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "pgbouncer");
            Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path users = directory.resolve("userlist.txt");
            Files.writeString(users, passwords.entrySet().stream()
                    .map(e -> quote(e.getKey()) + " " + quote(e.getValue()))
                    .collect(Collectors.joining("\n", "", "\n")));
            boolean root = "root".equals(System.getProperty("user.name"));
            Path ini = directory.resolve("pgbouncer.ini");
            Files.writeString(ini, """
                    [databases]
                    %1$s = host=127.0.0.1 port=%2$d dbname=%1$s
                    [pgbouncer]
                    listen_addr = 127.0.0.1
                    listen_port = %3$d
                    unix_socket_dir =
                    auth_type = scram-sha-256
                    auth_file = %4$s
                    pool_mode = transaction
                    max_client_conn = 1000
                    default_pool_size = 20
                    ignore_startup_parameters = extra_float_digits
                    stats_period = 1
                    %5$s
                    """.formatted(database, serverPort, port, users, root ? "user = nobody" : ""));
            for (Path file : List.of(users, ini)) {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
            }
            Process process = new ProcessBuilder(binary.toString(), ini.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(directory.resolve("pgbouncer.log").toFile())
                    .start();
            Runtime.getRuntime().addShutdownHook(new Thread(process::destroy));
            Path log = directory.resolve("pgbouncer.log");
            LOGS.put(port, log);
            await("pgbouncer listening on " + port + " (log: " + log + ")").atMost(Duration.ofSeconds(15))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> {
                        if (!process.isAlive()) {
                            throw new IllegalStateException("pgbouncer exited: " + Files.readString(log));
                        }
                        return listening(port);
                    });
            return port;
        } catch (IOException e) {
            throw new UncheckedIOException("could not start pgbouncer", e);
        }
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException notYet) {
            return false;
        }
    }

    private static String quote(String value) {
        return '"' + value.replace("\"", "\"\"") + '"';
    }
}
