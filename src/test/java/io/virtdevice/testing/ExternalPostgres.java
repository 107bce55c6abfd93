package io.virtdevice.testing;

import io.virtdevice.platform.database.EmbeddedDatabaseEnvironment;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

/**
 * A PostgreSQL 16 server that plays the part of an external one (a managed database, a distribution's
 * package): started by the tests themselves from the zonky binaries, separate from any application's
 * embedded server, with password authentication for every connection, and set up exactly as the README
 * tells an operator to: {@code db/bootstrap/roles.sql} run by the superuser, a password per role, then the
 * database created per test class. One per test JVM, stopped when the JVM exits.
 */
public final class ExternalPostgres {

    public static final String SUPERUSER_PASSWORD = "superuser pw";
    public static final String OWNER_PASSWORD = "owner:pw/1";
    public static final String APP_PASSWORD = "app p@ss%20";

    private static EmbeddedPostgres server;

    private ExternalPostgres() {}

    /** {@code host:port} of the running server, started (and bootstrapped) on first use. */
    public static synchronized String hostAndPort() {
        if (server == null) {
            server = start();
        }
        return "127.0.0.1:" + server.getPort();
    }

    /** Creates a database owned by the owner role and returns its JDBC URL. */
    public static String createDatabase(String name) {
        admin("create database " + name + " owner virtdevice_owner");
        return "jdbc:postgresql://" + hostAndPort() + "/" + name;
    }

    public static void dropDatabase(String name) {
        admin("drop database if exists " + name + " with (force)");
    }

    public static Connection superuserConnection(String database) throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://" + hostAndPort() + "/" + database, "postgres",
                SUPERUSER_PASSWORD);
    }

    private static void admin(String sql) {
        try (Connection con = superuserConnection("postgres"); Statement st = con.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    private static EmbeddedPostgres start() {
        try {
            Path directory = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "external-postgres");
            Path data = directory.resolve("data");
            Path passwordFile = directory.resolve("superuser-password");
            Files.writeString(passwordFile, SUPERUSER_PASSWORD + "\n");
            EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                    .setDataDirectory(data)
                    .setCleanDataDirectory(true)
                    .setLocaleConfig("auth", "scram-sha-256")
                    .setLocaleConfig("pwfile", passwordFile.toString())
                    .setConnectConfig("password", SUPERUSER_PASSWORD)
                    .setServerConfig("max_connections", "100")
                    .start();
            try (Connection con = postgres.getPostgresDatabase().getConnection();
                    Statement st = con.createStatement()) {
                st.execute(EmbeddedDatabaseEnvironment.readBootstrapSql());
                for (Map.Entry<String, String> role :
                        Map.of("virtdevice_owner", OWNER_PASSWORD, "virtdevice_app", APP_PASSWORD).entrySet()) {
                    st.execute("alter role " + role.getKey() + " password '" + role.getValue() + "'");
                }
            }
            return postgres;
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the external test PostgreSQL", e);
        } catch (SQLException e) {
            throw new IllegalStateException("could not bootstrap the external test PostgreSQL", e);
        }
    }
}
