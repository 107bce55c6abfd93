package io.virtdevice.platform.database;

import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.flyway.autoconfigure.FlywayMigrationInitializer;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * Refuses to start on a database loaded from a logical backup ({@code pg_dump}) without
 * {@code scripts/logical-restore-xids.sql}: a committed change event, or a sealed range of the events'
 * partitions, lies at or above the next transaction id of the cluster. Started so, the relay would pass over
 * every event a consumer (webhooks, Alexa, IFTTT) had not got to at the dump, without an error
 * (docs/operations.md, "Transaction ids after a logical restore"). The facts come from the definer function
 * {@code app.device_event_ids_ahead_of_cluster()} (migration V022), since the application's role sees no
 * events under forced row-level security outside a tenant's context. Runs once the schema is migrated and
 * before anything relays (db-scheduler and the dispatchers start after the context is refreshed).
 */
@Component
class RestoredTransactionIdsCheck implements InitializingBean {

    private static final Logger log = LoggerFactory.getLogger(RestoredTransactionIdsCheck.class);

    private final JdbcClient jdbc;

    RestoredTransactionIdsCheck(JdbcClient jdbc, ObjectProvider<FlywayMigrationInitializer> migrations) {
        this.jdbc = jdbc;
        migrations.ifAvailable(m -> {}); // the function comes with the migrations
    }

    /** What the database says. */
    record Facts(String nextTx, String newestEventTx, String newestSealedToTx) {}

    @Override
    public void afterPropertiesSet() {
        Optional<String> problem = problem();
        if (problem.isPresent()) {
            throw new IllegalStateException(problem.get());
        }
        log.debug("Transaction id check passed: no change event or sealed range above the cluster's ids");
    }

    /** Why the application must not start on this database, if it must not. */
    Optional<String> problem() {
        Facts facts = jdbc.sql("""
                        select next_tx::text, newest_event_tx::text, newest_sealed_to_tx::text
                          from app.device_event_ids_ahead_of_cluster()
                        """)
                .query((rs, i) -> new Facts(rs.getString(1), rs.getString(2), rs.getString(3)))
                .single();
        if (facts.newestEventTx() == null && facts.newestSealedToTx() == null) {
            return Optional.empty();
        }
        StringBuilder found = new StringBuilder();
        if (facts.newestEventTx() != null) {
            found.append("device events written by transaction ids up to ").append(facts.newestEventTx());
        }
        if (facts.newestSealedToTx() != null) {
            found.append(found.isEmpty() ? "" : " and ")
                    .append("a sealed device_events range ending at ").append(facts.newestSealedToTx());
        }
        return Optional.of("Refusing to start: this database holds " + found + ", but this PostgreSQL cluster's next"
                + " transaction id is " + facts.nextTx() + ". It was loaded from a logical backup (pg_dump) without"
                + " scripts/logical-restore-xids.sql; started so, events not yet handed to webhooks, Alexa and IFTTT"
                + " would be skipped without an error. Stop, run scripts/logical-restore-xids.sql once on this"
                + " database as a superuser (psql -v ON_ERROR_STOP=1 -f scripts/logical-restore-xids.sql), then start"
                + " again. See docs/operations.md, \"Transaction ids after a logical restore\".");
    }
}
