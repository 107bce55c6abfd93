package io.virtdevice.alexa;

import com.github.kagkarlsson.scheduler.task.ExecutionContext;
import com.github.kagkarlsson.scheduler.task.TaskInstance;
import com.github.kagkarlsson.scheduler.task.schedule.Schedules;
import io.virtdevice.platform.jobs.DailyMaintenanceTask;
import java.time.Duration;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * {@code alexa.purge-retired-links}: every 10 minutes, deletes the kept links of deleted users once
 * {@code virtdevice.alexa.retired-link-window} is over (they stop giving tokens at that moment anyway).
 */
@Component
class PurgeRetiredLinksTask extends DailyMaintenanceTask {

    static final String NAME = "alexa.purge-retired-links";

    private static final Logger log = LoggerFactory.getLogger(PurgeRetiredLinksTask.class);

    private final AlexaLinkSettings settings;

    PurgeRetiredLinksTask(JdbcClient jdbc, PlatformTransactionManager transactionManager, AlexaLinkSettings settings) {
        super(NAME, Schedules.fixedDelay(Duration.ofMinutes(10)), Duration.ofMinutes(5), jdbc, transactionManager);
        this.settings = settings;
    }

    @Override
    public void executeRecurringly(TaskInstance<Void> instance, ExecutionContext context) {
        int purged = purge();
        if (purged > 0) {
            log.info("Purged {} retired Alexa link(s)", purged);
        }
    }

    int purge() {
        return count("select app.purge_retired_alexa_links(:window)",
                Map.of("window", (int) settings.retiredLinkWindow().toSeconds()));
    }
}
