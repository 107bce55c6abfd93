package io.virtdevice.webhooks;

import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.task.TaskInstance;
import io.virtdevice.events.DeviceEvent;
import io.virtdevice.events.DeviceEventConsumer;
import io.virtdevice.events.SchedulerNudge;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Stages one message per matching webhook (enabled, subscribed to the event's type, and either for all
 * devices or for this one) and schedules its first attempt, inside the dispatch transaction.
 */
@Component
class WebhookEventConsumer implements DeviceEventConsumer {

    /** Standard Webhooks asks for thin payloads; ours stay under this. */
    static final int MAX_PAYLOAD_BYTES = 20 * 1024;

    private final WebhookDeliveryRepository deliveries;
    private final SchedulerClient scheduler;
    private final DeliverWebhookTask deliver;
    private final WebhookSettings settings;
    private final JsonMapper json;
    private final SchedulerNudge nudge;

    WebhookEventConsumer(WebhookDeliveryRepository deliveries, SchedulerClient scheduler, DeliverWebhookTask deliver,
            WebhookSettings settings, JsonMapper json, SchedulerNudge nudge) {
        this.deliveries = deliveries;
        this.scheduler = scheduler;
        this.deliver = deliver;
        this.settings = settings;
        this.json = json;
        this.nudge = nudge;
    }

    @Override
    public void stage(DeviceEvent event) {
        List<UUID> staged = deliveries.stageForEvent(event.userId(), event.id(), event.deviceId(), event.type(),
                payload(event), settings.maxAttempts());
        if (!staged.isEmpty()) {
            List<TaskInstance<?>> attempts = staged.stream()
                    .<TaskInstance<?>>map(id -> deliver.instance(DeliverWebhookTask.instanceId(id),
                            new DeliverWebhookTask.Job(event.tenantId(), event.userId(), id, 1, false)))
                    .toList();
            scheduler.scheduleBatch(attempts, Instant.now());
            nudge.afterCommit();
        }
    }

    /** The event's JSON body; without changes and snapshot (flagged) in the unlikely case it is too big. */
    String payload(DeviceEvent event) {
        Map<String, Object> body = event.body();
        String text = json.writeValueAsString(body);
        if (text.getBytes(StandardCharsets.UTF_8).length <= MAX_PAYLOAD_BYTES) {
            return text;
        }
        body.remove("changes");
        body.remove("snapshot");
        body.put("truncated", true);
        return json.writeValueAsString(body);
    }
}
