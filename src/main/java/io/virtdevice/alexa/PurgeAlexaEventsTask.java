package io.virtdevice.alexa;

import com.github.kagkarlsson.scheduler.task.ExecutionContext;
import com.github.kagkarlsson.scheduler.task.TaskInstance;
import io.virtdevice.platform.jobs.DailyMaintenanceTask;
import java.time.Duration;
import java.time.LocalTime;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * {@code alexa.purge-events}: daily retention for the Alexa event outbox's history. The outbox prunes an
 * endpoint's history only when one of its events finishes, so the last rows of a deleted device (its
 * DeleteReport included) or of a user who stopped changing things stayed forever. Finished events older than
 * {@code virtdevice.alexa.event-gateway.history-retention} are deleted across tenants by a definer function,
 * in batches of {@value #BATCH} (one short transaction each); pending and held events are never touched.
 */
@Component
class PurgeAlexaEventsTask extends DailyMaintenanceTask {

    static final String NAME = "alexa.purge-events";
    static final int BATCH = 10_000;

    private static final Logger log = LoggerFactory.getLogger(PurgeAlexaEventsTask.class);

    private final AlexaEventSettings settings;

    PurgeAlexaEventsTask(JdbcClient jdbc, PlatformTransactionManager transactionManager, AlexaEventSettings settings) {
        super(NAME, LocalTime.of(1, 40), Duration.ofMinutes(30), jdbc, transactionManager);
        this.settings = settings;
    }

    @Override
    public void executeRecurringly(TaskInstance<Void> instance, ExecutionContext context) {
        long total = purge();
        if (total > 0) {
            log.info("Purged {} Alexa event(s) finished more than {} ago", total, settings.historyRetention());
        }
    }

    /** Deletes every expired row, a batch per transaction; returns how many. */
    long purge() {
        return purgeInBatches("select app.purge_alexa_events(:seconds, :batch)",
                Map.of("seconds", (int) Math.min(Integer.MAX_VALUE, settings.historyRetention().toSeconds())), BATCH);
    }
}
