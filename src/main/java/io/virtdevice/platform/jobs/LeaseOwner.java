package io.virtdevice.platform.jobs;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;
import org.springframework.util.StringUtils;

/**
 * This process's name on the leases it takes ({@code webhook_deliveries.lease_owner},
 * {@code alexa_event_outbox.lease_owner}; shared by every module that leases outbound work): a number
 * for which it holds the PostgreSQL session advisory lock {@code (LOCK_SPACE, id)} on a dedicated connection
 * (outside the pool, as the app role; to {@code virtdevice.events.listen-url} when that is set, since a
 * transaction-mode pooler cannot keep a session lock) for as long as it runs. The lock goes with the session, so when the
 * process dies (kill -9, a crash) its unsent messages are seen as orphaned at once by the lease sweep of
 * every instance, its own successor included, instead of when their leases run out (migration V002).
 *
 * <p>While the connection is down {@link #id()} is {@code null}: messages are then staged with an anonymous
 * lease that only its expiry ends, as before. The sweep checks the connection every
 * {@code virtdevice.webhooks.recover-interval} and re-takes the same number when it can. A process whose
 * lock connection broke while it lived may see a message it is still sending handed over too: it is then
 * sent twice, with the same {@code webhook-id} (at least once, as always).
 */
@Component
public class LeaseOwner implements InitializingBean, DisposableBean {

    /** The advisory lock's first key: 'VDWH'. */
    public static final int LOCK_SPACE = 0x56445748;

    private static final Logger log = LoggerFactory.getLogger(LeaseOwner.class);
    private static final Duration RETRY = Duration.ofSeconds(5);

    private final String url;
    private final Properties properties = new Properties();
    private Connection connection; // guarded by this
    private volatile Integer id;
    private int lastId = ThreadLocalRandom.current().nextInt(1, Integer.MAX_VALUE);
    private long nextTry;
    private boolean closed;

    public LeaseOwner(Environment environment) {
        // a session of its own, like LISTEN: behind a transaction-mode pooler, the listener's direct URL
        String listenUrl = environment.getProperty("virtdevice.events.listen-url");
        boolean direct = StringUtils.hasText(listenUrl);
        this.url = direct ? listenUrl : environment.getRequiredProperty("spring.datasource.url");
        String user = direct && StringUtils.hasText(environment.getProperty("virtdevice.events.listen-username"))
                ? environment.getProperty("virtdevice.events.listen-username")
                : environment.getProperty("spring.datasource.username");
        String password = direct && environment.getProperty("virtdevice.events.listen-password") != null
                ? environment.getProperty("virtdevice.events.listen-password")
                : environment.getProperty("spring.datasource.password");
        if (user != null) {
            properties.setProperty("user", user);
        }
        if (password != null) {
            properties.setProperty("password", password);
        }
        properties.setProperty("ApplicationName", "virtdevice-webhook-lease-owner");
        properties.setProperty("tcpKeepAlive", "true");
        properties.setProperty("connectTimeout", "5");
    }

    /** Takes the lock before anything is staged (the relay may stage as soon as db-scheduler starts). */
    @Override
    public void afterPropertiesSet() {
        acquire();
    }

    /** The number to put on leases taken now; {@code null} if this process holds no lock at the moment. */
    public Integer id() {
        Integer current = id;
        if (current != null) {
            return current;
        }
        return acquire();
    }

    /** Re-takes the lock if its connection was lost (the lease sweep calls this). */
    public synchronized void check() {
        if (connection != null) {
            try {
                if (connection.isValid(2)) {
                    return;
                }
            } catch (SQLException e) {
                // treated as lost
            }
            log.warn("the webhook lease owner connection was lost; taking the lock again");
            closeQuietly();
            nextTry = 0;
        }
        acquire();
    }

    private synchronized Integer acquire() {
        if (id != null || closed || System.nanoTime() - nextTry < 0) {
            return id;
        }
        nextTry = System.nanoTime() + RETRY.toNanos();
        try {
            Connection c = DriverManager.getConnection(url, properties);
            try {
                // the number used before (leases of this process may carry it), else a new one
                for (int tries = 0; tries < 10; tries++) {
                    if (tryLock(c, lastId)) {
                        connection = c;
                        id = lastId;
                        return lastId;
                    }
                    lastId = ThreadLocalRandom.current().nextInt(1, Integer.MAX_VALUE);
                }
            } catch (SQLException | RuntimeException e) {
                c.close();
                throw e;
            }
            c.close();
            log.warn("no free webhook lease owner number; leases only end when they expire");
        } catch (SQLException e) {
            log.warn("could not open the webhook lease owner connection ({}); leases only end when they expire "
                    + "until it is back", e.toString());
        }
        return null;
    }

    private static boolean tryLock(Connection c, int candidate) throws SQLException {
        try (PreparedStatement st = c.prepareStatement("select pg_try_advisory_lock(?, ?)")) {
            st.setInt(1, LOCK_SPACE);
            st.setInt(2, candidate);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    private void closeQuietly() {
        id = null;
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                // gone anyway
            }
            connection = null;
        }
    }

    /** Releases the lock after the application has stopped (its leases are then orphaned, and handed over). */
    @Override
    public synchronized void destroy() {
        closed = true;
        closeQuietly();
    }
}
