package io.virtdevice.testing;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.virtdevice.platform.database.EmbeddedCredentials;
import io.virtdevice.platform.tenancy.TenantContext;
import io.virtdevice.platform.tenancy.TenantScope;
import io.virtdevice.platform.web.DatabaseErrors;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import javax.sql.DataSource;
import org.springframework.context.ApplicationContext;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * SQL against a running app's database in the two ways the database tests need: as the app role through
 * the app's own pool and transaction manager (tenant context set exactly as in production), and as the
 * superuser, only to set up rows the app could never write or to inspect the result. The superuser
 * bypasses row-level security, so it must never be what a test's verdict on RLS rests on.
 */
public final class TestDatabase {

    private static final Map<String, HikariDataSource> SUPERUSER_POOLS = new ConcurrentHashMap<>();

    private final DataSource dataSource;
    private final JdbcClient app;
    private final TransactionTemplate tx;
    private final String superuserUrl;
    private final String superuserPassword;

    public TestDatabase(DataSource dataSource, PlatformTransactionManager transactionManager, String superuserUrl,
            String superuserPassword) {
        this.dataSource = dataSource;
        this.app = JdbcClient.create(dataSource);
        this.tx = new TransactionTemplate(transactionManager);
        this.superuserUrl = superuserUrl;
        this.superuserPassword = superuserPassword;
    }

    /** For an app on the embedded server of this JVM. */
    public static TestDatabase of(ApplicationContext context) {
        int port = context.getEnvironment().getRequiredProperty("virtdevice.database.embedded.actual-port", Integer.class);
        return new TestDatabase(context.getBean(DataSource.class), context.getBean(PlatformTransactionManager.class),
                "jdbc:postgresql://localhost:" + port + "/virtdevice", credentials(context.getEnvironment()).superuser());
    }

    /** The passwords of the embedded server an app in this JVM runs on (kept in its data directory). */
    public static EmbeddedCredentials credentials(Environment environment) {
        return credentials(Path.of(environment.getProperty("virtdevice.database.embedded.data-directory",
                "data/postgres")));
    }

    public static EmbeddedCredentials credentials(Path dataDirectory) {
        Path directory = dataDirectory.toAbsolutePath().normalize();
        return EmbeddedCredentials.read(directory)
                .orElseThrow(() -> new IllegalStateException("no embedded PostgreSQL credentials in " + directory));
    }

    public DataSource dataSource() {
        return dataSource;
    }

    /** Runs work in one app transaction that carries the given tenant context. */
    public <T> T as(TenantContext context, Function<JdbcClient, T> work) {
        return TenantScope.call(context, () -> tx.execute(status -> work.apply(app)));
    }

    public void runAs(TenantContext context, Consumer<JdbcClient> work) {
        as(context, jdbc -> {
            work.accept(jdbc);
            return null;
        });
    }

    /** Runs work in one app transaction with no tenant context at all. */
    public <T> T withoutContext(Function<JdbcClient, T> work) {
        return TenantScope.callWithoutContext(() -> tx.execute(status -> work.apply(app)));
    }

    /** The app role outside any transaction (auto-commit on a pooled connection). */
    public JdbcClient appWithoutTransaction() {
        return app;
    }

    public TransactionTemplate transactions() {
        return tx;
    }

    /** Auto-committing superuser access to the app's database. */
    public JdbcClient superuser() {
        return superuser(superuserUrl, superuserPassword);
    }

    /** Auto-committing superuser access to any server, through a small pool per server kept for the JVM. */
    public static JdbcClient superuser(String jdbcUrl, String password) {
        return JdbcClient.create(SUPERUSER_POOLS.computeIfAbsent(jdbcUrl + " " + password, key -> {
            HikariConfig config = new HikariConfig();
            config.setPoolName("test-superuser");
            config.setJdbcUrl(jdbcUrl);
            config.setUsername("postgres");
            config.setPassword(password);
            config.setMaximumPoolSize(4);
            config.setMinimumIdle(0);
            config.setIdleTimeout(10_000);
            return new HikariDataSource(config);
        }));
    }

    public Connection superuserConnection() throws SQLException {
        return DriverManager.getConnection(superuserUrl, "postgres", superuserPassword);
    }

    /** Runs the action, which the database must refuse, and returns what it said. */
    public static DatabaseErrors refusal(Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            return DatabaseErrors.of(e).orElseThrow(() -> new AssertionError("not a database refusal", e));
        }
        throw new AssertionError("the database accepted what it should have refused");
    }
}
