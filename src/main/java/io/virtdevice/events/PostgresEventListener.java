package io.virtdevice.events;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import io.virtdevice.platform.security.Revocations;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Conditional;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;
import org.springframework.util.StringUtils;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The PostgreSQL bus: one dedicated connection per instance, outside the pool and as the app role, runs
 * {@code LISTEN device_events}; {@code devices.DeviceEventNotifier} NOTIFYs the ids of every committed
 * event right after the commit. The same connection hears {@code credential_revocations}
 * ({@link RevocationNotices}).
 * The connection is checked every few seconds and re-opened with backoff when it fails; after a
 * reconnect the open streams re-read what they may have missed. LISTEN needs a real session: behind a
 * pooler, point this instance at the database directly or through a session-mode pool (docs/operations.md).
 */
@Component
@Conditional(EventBus.OnPostgres.class)
class PostgresEventListener implements SmartLifecycle, HealthIndicator {

    static final String CHANNEL = "device_events";

    private static final Logger log = LoggerFactory.getLogger(PostgresEventListener.class);
    private static final Duration POLL = Duration.ofMillis(500);
    private static final Duration CHECK = Duration.ofSeconds(10);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    private static final Duration FIRST_ATTEMPT_WAIT = Duration.ofSeconds(15);

    private final EventStreams streams;
    private final Revocations revocations;
    private final JsonMapper json;
    private final String url;
    private final Properties connectionProperties = new Properties();
    private volatile boolean running;
    private volatile boolean listening;
    private final CountDownLatch firstAttempt = new CountDownLatch(1);
    private volatile Connection connection;
    private Thread thread;

    PostgresEventListener(EventStreams streams, Revocations revocations, JsonMapper json, EventsSettings settings,
            Environment environment) {
        this.streams = streams;
        this.revocations = revocations;
        this.json = json;
        this.url = StringUtils.hasText(settings.listenUrl())
                ? settings.listenUrl()
                : environment.getRequiredProperty("spring.datasource.url");
        String user = StringUtils.hasText(settings.listenUsername())
                ? settings.listenUsername()
                : environment.getProperty("spring.datasource.username");
        String password = settings.listenPassword() != null
                ? settings.listenPassword()
                : environment.getProperty("spring.datasource.password");
        if (user != null) {
            connectionProperties.setProperty("user", user);
        }
        if (password != null) {
            connectionProperties.setProperty("password", password);
        }
        connectionProperties.setProperty("ApplicationName", "virtdevice-events-listener");
        connectionProperties.setProperty("tcpKeepAlive", "true");
        connectionProperties.setProperty("connectTimeout", "10");
    }

    @Override
    public void start() {
        running = true;
        thread = Thread.ofPlatform().name("device-events-listener").daemon().start(this::run);
        // Wait for the first attempt (bounded by connectTimeout), so an instance that reports ready is
        // already listening: a change made right after start-up is not missed, and health is not DOWN
        // merely because the thread has not been scheduled yet. A failed first attempt does not block
        // start-up; the thread keeps retrying and health says DOWN until it succeeds.
        try {
            firstAttempt.await(FIRST_ATTEMPT_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void stop() {
        running = false;
        Connection c = connection;
        if (c != null) {
            try {
                c.close();
            } catch (SQLException e) {
                // closing anyway
            }
        }
        if (thread != null) {
            try {
                thread.join(Duration.ofSeconds(2));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Whether the LISTEN connection is up (reported as the {@code postgresEventListener} health). */
    boolean listening() {
        return listening;
    }

    @Override
    public Health health() {
        return listening ? Health.up().build() : Health.down().withDetail("reason", "LISTEN connection is down").build();
    }

    private void run() {
        Duration backoff = Duration.ofMillis(250);
        boolean reconnect = false;
        while (running) {
            try (Connection c = DriverManager.getConnection(url, connectionProperties)) {
                connection = c;
                try (Statement st = c.createStatement()) {
                    st.execute("LISTEN " + CHANNEL);
                    st.execute("LISTEN " + RevocationNotices.CHANNEL);
                }
                listening = true;
                firstAttempt.countDown();
                backoff = Duration.ofMillis(250);
                if (reconnect) {
                    log.info("LISTEN {} re-established", CHANNEL);
                    // revocation notices may have been missed meanwhile: trust no cached credential
                    revocations.forgetCached();
                    streams.resync();
                }
                reconnect = true;
                listen(c.unwrap(PGConnection.class), c);
            } catch (SQLException | RuntimeException e) {
                if (running) {
                    log.warn("LISTEN {} connection failed ({}); retrying in {} ms", CHANNEL, e.toString(),
                            backoff.toMillis());
                }
            } finally {
                listening = false;
                connection = null;
                firstAttempt.countDown();
            }
            if (running) {
                sleep(backoff);
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
            }
        }
    }

    private void listen(PGConnection pg, Connection c) throws SQLException {
        long nextCheck = System.nanoTime() + CHECK.toNanos();
        while (running) {
            PGNotification[] notifications = pg.getNotifications((int) POLL.toMillis());
            if (notifications != null) {
                for (PGNotification n : notifications) {
                    if (RevocationNotices.CHANNEL.equals(n.getName())) {
                        RevocationNotices.receive(revocations, n.getParameter());
                    } else {
                        handle(n.getParameter());
                    }
                }
            }
            if (System.nanoTime() > nextCheck) {
                // getNotifications alone does not notice a half-open connection
                try (Statement st = c.createStatement()) {
                    st.execute("select 1");
                }
                nextCheck = System.nanoTime() + CHECK.toNanos();
            }
        }
    }

    private void handle(String payload) {
        try {
            JsonNode node = json.readTree(payload);
            streams.onNotice(new EventNotice(UUID.fromString(node.path("id").asString()),
                    node.hasNonNull("tenant_id") ? UUID.fromString(node.path("tenant_id").asString()) : null,
                    UUID.fromString(node.path("user_id").asString())));
        } catch (RuntimeException e) {
            log.warn("ignoring malformed {} notification", CHANNEL);
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
