package io.virtdevice.platform.database;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The passwords of the embedded server's login roles, generated on the first start and kept in the data
 * directory as a pgpass file ({@value #FILE}, mode 0600, readable by whoever may read the data anyway), so
 * that no other local user can connect: the server asks every connection, over TCP and the Unix socket, for
 * its role's password (SCRAM-SHA-256). A new cluster is created that way by initdb; a data directory from
 * before (trust authentication) gets passwords and the new {@code pg_hba.conf} on its next start.
 * {@code psql}/{@code pgbench} use the file directly: {@code PGPASSFILE=data/postgres/virtdevice.pgpass}.
 */
public record EmbeddedCredentials(String superuser, String owner, String app) {

    public static final String FILE = "virtdevice.pgpass";
    static final String SUPERUSER_ROLE = "postgres";
    /** The superuser password for initdb, outside the data directory (initdb wants it empty). */
    private static final String INITDB_PASSWORD_SUFFIX = ".initdb-password";
    static final String PG_HBA = """
            # Written by VirtDevice on every start: every connection needs its role's password, kept in
            # virtdevice.pgpass in this directory. Changes here are overwritten.
            local   all   all                 scram-sha-256
            host    all   all   127.0.0.1/32  scram-sha-256
            host    all   all   ::1/128       scram-sha-256
            """;

    private static final SecureRandom RANDOM = new SecureRandom();

    /** The password of a role of the embedded server, for tools and tests. */
    public String password(String role) {
        return switch (role) {
            case SUPERUSER_ROLE -> superuser;
            case EmbeddedDatabaseEnvironment.OWNER_ROLE -> owner;
            case EmbeddedDatabaseEnvironment.APP_ROLE -> app;
            default -> throw new IllegalArgumentException("no password for role " + role);
        };
    }

    /** The credentials kept in a data directory, if it has them. */
    public static Optional<EmbeddedCredentials> read(Path dataDirectory) {
        Path file = dataDirectory.resolve(FILE);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        Map<String, String> passwords = new HashMap<>();
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String[] fields = line.split(":", 5);
                if (fields.length == 5 && !line.startsWith("#")) {
                    passwords.put(fields[3], fields[4]);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + file, e);
        }
        return Optional.of(new EmbeddedCredentials(required(passwords, SUPERUSER_ROLE, file),
                required(passwords, EmbeddedDatabaseEnvironment.OWNER_ROLE, file),
                required(passwords, EmbeddedDatabaseEnvironment.APP_ROLE, file)));
    }

    /**
     * Before the server starts: the data directory's credentials (new ones for a directory without), given to
     * zonky for its own connections; a new cluster is initialised with password authentication and the
     * superuser's password, so it never accepts a connection without one.
     */
    static EmbeddedCredentials prepare(Path dataDirectory, EmbeddedPostgres.Builder builder) throws IOException {
        Path initdbPassword = dataDirectory.resolveSibling(dataDirectory.getFileName() + INITDB_PASSWORD_SUFFIX);
        EmbeddedCredentials credentials = read(dataDirectory).orElseGet(() -> {
            // a first start that died between initdb and storing the file left the superuser password here
            String superuser = Files.exists(initdbPassword) ? readString(initdbPassword).strip() : generate();
            return new EmbeddedCredentials(superuser, generate(), generate());
        });
        if (!Files.exists(dataDirectory.resolve("postgresql.conf"))) {
            writePrivately(initdbPassword, credentials.superuser() + "\n");
            builder.setLocaleConfig("auth", "scram-sha-256");
            builder.setLocaleConfig("pwfile", initdbPassword.toString());
        }
        builder.setConnectConfig("password", credentials.superuser());
        return credentials;
    }

    /**
     * After the server started and the roles exist: stores the credentials, gives every login role its
     * password and, if the cluster still has another {@code pg_hba.conf} (one from before, trust), replaces
     * it and reloads the configuration. Idempotent; runs on every start.
     */
    void enforce(Path dataDirectory, EmbeddedPostgres postgres) throws IOException {
        writePrivately(dataDirectory.resolve(FILE), pgpass());
        Files.deleteIfExists(dataDirectory.resolveSibling(dataDirectory.getFileName() + INITDB_PASSWORD_SUFFIX));
        try (Connection con = postgres.getPostgresDatabase().getConnection(); Statement st = con.createStatement()) {
            for (String role : List.of(SUPERUSER_ROLE, EmbeddedDatabaseEnvironment.OWNER_ROLE,
                    EmbeddedDatabaseEnvironment.APP_ROLE)) {
                // the statement carries a password: keep it out of the server log whatever its settings
                        st.execute("alter role " + role + " password '" + password(role) + "'");
            }
            Path hba = dataDirectory.resolve("pg_hba.conf");
            if (!PG_HBA.equals(readString(hba))) {
                writePrivately(hba, PG_HBA);
                st.execute("select pg_reload_conf()");
            }
        } catch (SQLException e) {
            throw new IllegalStateException("could not set the embedded PostgreSQL's passwords", e);
        }
    }

    private String pgpass() {
        return "# hostname:port:database:username:password of the embedded PostgreSQL's roles\n"
                + "*:*:*:" + SUPERUSER_ROLE + ":" + superuser + "\n"
                + "*:*:*:" + EmbeddedDatabaseEnvironment.OWNER_ROLE + ":" + owner + "\n"
                + "*:*:*:" + EmbeddedDatabaseEnvironment.APP_ROLE + ":" + app + "\n";
    }

    /** 32 random bytes, URL-safe base64: nothing a pgpass file or an SQL literal would need to escape. */
    private static String generate() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static String required(Map<String, String> passwords, String role, Path file) {
        String password = passwords.get(role);
        if (password == null || password.isEmpty()) {
            throw new IllegalStateException(file + " has no password for " + role);
        }
        return password;
    }

    private static String readString(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + file, e);
        }
    }

    /** Writes a file only its owner can read, replacing any previous one in one step. */
    private static void writePrivately(Path file, String content) throws IOException {
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(temp);
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            Files.createFile(temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        Files.writeString(temp, content, StandardCharsets.UTF_8);
        try {
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
