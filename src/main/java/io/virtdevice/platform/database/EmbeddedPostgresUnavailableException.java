package io.virtdevice.platform.database;

/**
 * The embedded PostgreSQL cannot run here (unsupported platform, or a jar without this platform's binaries).
 * {@link EmbeddedPostgresUnavailableFailureAnalyzer} turns it into a start-up report without a stack trace.
 */
public class EmbeddedPostgresUnavailableException extends IllegalStateException {

    /** What to do instead, the same whatever the cause. */
    public static final String ACTION = """
            Use an external PostgreSQL 16 instead of the embedded one: create the roles of \
            db/bootstrap/roles.sql (docs/operations.md, "External PostgreSQL") and start VirtDevice with
                DATABASE_URL=postgres://virtdevice_app:PASSWORD@HOST:5432/virtdevice
                DATABASE_MIGRATION_URL=postgres://virtdevice_owner:PASSWORD@HOST:5432/virtdevice
            (or spring.datasource.url / spring.flyway.url), or set virtdevice.database.embedded.enabled=false and \
            configure spring.datasource.* yourself.""";

    public EmbeddedPostgresUnavailableException(String description) {
        super(description);
    }
}
