package io.virtdevice.platform.database;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.commons.logging.Log;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.logging.DeferredLogFactory;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.io.ClassPathResource;
import org.springframework.util.StringUtils;

/**
 * Chooses the database before any bean exists.
 *
 * <ul>
 *   <li>{@code DATABASE_URL} ({@code postgres://user:password@host:port/db}) and optionally
 *       {@code DATABASE_MIGRATION_URL} become the standard {@code spring.datasource.*} / {@code spring.flyway.*}
 *       settings.
 *   <li>With no {@code spring.datasource.url} at all (the default run), an embedded PostgreSQL 16 is started
 *       from the zonky binaries, its data kept in {@code virtdevice.database.embedded.data-directory}
 *       (default {@code ./data/postgres}) across restarts. It is bootstrapped with the three roles of
 *       {@code db/bootstrap/roles.sql}; Flyway then logs in as the owner role and the application as the
 *       non-owner app role, exactly as against an external server. As root, zonky runs initdb and
 *       postgres in a user namespace ({@code unshare -U}), since PostgreSQL refuses to run as root.
 *       Every role needs its password, generated once and kept in the data directory
 *       ({@link EmbeddedCredentials}), so other local users cannot connect. A server
 *       that a killed run left behind on the data directory is shut down first ({@link LeftBehindPostmaster}),
 *       so a restart after kill -9 comes up unattended.
 * </ul>
 */
public class EmbeddedDatabaseEnvironment implements EnvironmentPostProcessor, Ordered {

    static final String DATABASE = "virtdevice";
    static final String OWNER_ROLE = "virtdevice_owner";
    static final String APP_ROLE = "virtdevice_app";

    private static final Map<Path, EmbeddedPostgres> RUNNING = new ConcurrentHashMap<>();

    /** How long a server left behind by a killed run gets for each of a fast and an immediate shutdown. */
    private static final Duration LEFT_BEHIND_WAIT = Duration.ofSeconds(30);

    private final Log log;

    public EmbeddedDatabaseEnvironment(DeferredLogFactory logFactory) {
        this.log = logFactory.getLog(EmbeddedDatabaseEnvironment.class);
    }

    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        Map<String, Object> props = new HashMap<>();
        String databaseUrl = environment.getProperty("DATABASE_URL");
        if (StringUtils.hasText(databaseUrl) && !environment.containsProperty("spring.datasource.url")) {
            putConnection(props, "spring.datasource.url", "spring.datasource.username", "spring.datasource.password",
                    databaseUrl);
        }
        String migrationUrl = environment.getProperty("DATABASE_MIGRATION_URL");
        if (StringUtils.hasText(migrationUrl) && !environment.containsProperty("spring.flyway.url")) {
            putConnection(props, "spring.flyway.url", "spring.flyway.user", "spring.flyway.password", migrationUrl);
        }
        boolean external = props.containsKey("spring.datasource.url") || environment.containsProperty("spring.datasource.url");
        String mode = environment.getProperty("virtdevice.database.embedded.enabled", "auto");
        if (!external && !"false".equalsIgnoreCase(mode)) {
            // before zonky: on a platform without binaries it fails with a stack trace instead of advice
            EmbeddedPostgresPlatform platform = EmbeddedPostgresPlatform.require(System.getProperty("os.name"),
                    System.getProperty("os.arch"), EmbeddedDatabaseEnvironment.class.getClassLoader());
            Path dataDirectory = Path.of(environment.getProperty(
                            "virtdevice.database.embedded.data-directory", "data/postgres"))
                    .toAbsolutePath()
                    .normalize();
            int port = environment.getProperty("virtdevice.database.embedded.port", Integer.class, 0);
            boolean fresh = environment.getProperty("virtdevice.database.embedded.fresh", Boolean.class, false);
            ServerMemory memory = new ServerMemory(
                    environment.getProperty("virtdevice.database.embedded.shared-buffers", "256MB"),
                    environment.getProperty("virtdevice.database.embedded.max-connections", "200"));
            EmbeddedPostgres postgres =
                    RUNNING.computeIfAbsent(dataDirectory, dir -> start(dir, port, fresh, memory));
            log.info("Embedded PostgreSQL 16 (" + platform.label() + ") on port " + postgres.getPort() + ", data in "
                    + dataDirectory);
            String url = "jdbc:postgresql://localhost:" + postgres.getPort() + "/" + DATABASE;
            props.put("spring.datasource.url", url);
            EmbeddedCredentials credentials = EmbeddedCredentials.read(dataDirectory).orElseThrow();
            props.put("spring.datasource.username", APP_ROLE);
            props.put("spring.datasource.password", credentials.app());
            props.put("spring.flyway.url", url);
            props.put("spring.flyway.user", OWNER_ROLE);
            props.put("spring.flyway.password", credentials.owner());
            props.put("virtdevice.database.embedded.actual-port", postgres.getPort());
        }
        if (!props.isEmpty()) {
            environment.getPropertySources().addFirst(new MapPropertySource("virtdevice-database", props));
        }
    }

    /** The running embedded server for a data directory, if this JVM started one (benchmarks, tests). */
    public static EmbeddedPostgres running(Path dataDirectory) {
        return RUNNING.get(dataDirectory.toAbsolutePath().normalize());
    }

    /**
     * Stops the embedded server of a data directory that this JVM started, keeping its data, so that a
     * later start on the same directory runs a new server over the existing cluster (restart tests).
     * Without this call the server is stopped when the JVM exits, after every application context closed.
     */
    public static void stop(Path dataDirectory) throws IOException {
        EmbeddedPostgres postgres = RUNNING.remove(dataDirectory.toAbsolutePath().normalize());
        if (postgres != null) {
            postgres.close();
        }
    }

    private static void stopQuietly(Path dataDirectory) {
        try {
            stop(dataDirectory);
        } catch (IOException | RuntimeException e) {
            System.err.println("could not stop the embedded PostgreSQL in " + dataDirectory + ": " + e);
        }
    }

    /**
     * The server's memory settings: {@code shared_buffers} (its page cache, taken as it is touched) and
     * {@code max_connections} (each slot reserves shared memory); smaller on a small machine, see
     * docs/raspberry-pi.md.
     */
    private record ServerMemory(String sharedBuffers, String maxConnections) {}

    private EmbeddedPostgres start(Path dataDirectory, int port, boolean fresh, ServerMemory memory) {
        try {
            // a server a killed run left behind holds the directory: stopped first (also before deleting it)
            LeftBehindPostmaster.stop(dataDirectory, LEFT_BEHIND_WAIT, log::warn);
            if (fresh && Files.exists(dataDirectory)) {
                org.springframework.util.FileSystemUtils.deleteRecursively(dataDirectory);
            }
            Files.createDirectories(dataDirectory.getParent());
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder();
            EmbeddedCredentials credentials = EmbeddedCredentials.prepare(dataDirectory, builder);
            EmbeddedPostgres postgres = builder
                    .setDataDirectory(dataDirectory)
                    .setCleanDataDirectory(false)
                    .setPort(port)
                    // zonky's test defaults turn durability off; this is a production database
                    .setServerConfig("fsync", "on")
                    .setServerConfig("synchronous_commit", "on")
                    .setServerConfig("full_page_writes", "on")
                    .setServerConfig("max_connections", memory.maxConnections())
                    .setServerConfig("shared_buffers", memory.sharedBuffers())
                    .setServerConfig("timezone", "UTC")
                    // zonky's own JVM hook would stop the server while Spring's hook is still closing the
                    // application (in-flight requests, the scheduler and the LISTEN connection lose it)
                    .setRegisterShutdownHook(false)
                    .start();
            // run by Spring Boot's shutdown hook after every application context has closed
            SpringApplication.getShutdownHandlers().add(() -> stopQuietly(dataDirectory));
            bootstrap(postgres);
            credentials.enforce(dataDirectory, postgres);
            return postgres;
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the embedded PostgreSQL in " + dataDirectory, e);
        }
    }

    /** Creates the roles and the database once; every later start finds them and does nothing. */
    static void bootstrap(EmbeddedPostgres postgres) {
        try (Connection con = postgres.getPostgresDatabase().getConnection();
                Statement st = con.createStatement()) {
            st.execute(readBootstrapSql());
            try (ResultSet rs = st.executeQuery("select 1 from pg_database where datname = '" + DATABASE + "'")) {
                if (!rs.next()) {
                    st.execute("create database " + DATABASE + " owner " + OWNER_ROLE);
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("could not bootstrap the embedded PostgreSQL", e);
        }
    }

    public static String readBootstrapSql() {
        try (InputStream in = new ClassPathResource("db/bootstrap/roles.sql").getInputStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void putConnection(Map<String, Object> props, String urlKey, String userKey, String passwordKey,
            String databaseUrl) {
        URI uri = URI.create(databaseUrl.trim());
        String scheme = uri.getScheme();
        if (!"postgres".equals(scheme) && !"postgresql".equals(scheme)) {
            throw new IllegalArgumentException("DATABASE_URL must look like postgres://user:password@host:port/db");
        }
        int port = uri.getPort() == -1 ? 5432 : uri.getPort();
        String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
        props.put(urlKey, "jdbc:postgresql://" + uri.getHost() + ":" + port + uri.getRawPath() + query);
        String userInfo = uri.getRawUserInfo();
        if (userInfo != null) {
            int colon = userInfo.indexOf(':');
            props.put(userKey, decode(colon < 0 ? userInfo : userInfo.substring(0, colon)));
            if (colon >= 0) {
                props.put(passwordKey, decode(userInfo.substring(colon + 1)));
            }
        }
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }
}
