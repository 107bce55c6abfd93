package io.virtdevice.webhooks;

import io.virtdevice.platform.jobs.LeaseOwner;
import io.virtdevice.events.DeviceEvent;
import io.virtdevice.events.BatchDeviceEventConsumer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Stages one message per matching webhook (enabled, subscribed to the event's type, and either for all
 * devices or for this one) inside the dispatch transaction; {@link FirstAttempts} sends them once it commits.
 */
@Component
class WebhookEventConsumer implements BatchDeviceEventConsumer {

    /** Standard Webhooks asks for thin payloads; ours stay under this. */
    static final int MAX_PAYLOAD_BYTES = 20 * 1024;

    private final WebhookDeliveryRepository deliveries;
    private final FirstAttempts firstAttempts;
    private final WebhookSettings settings;
    private final LeaseOwner leaseOwner;
    private final JsonMapper json;

    WebhookEventConsumer(WebhookDeliveryRepository deliveries, FirstAttempts firstAttempts, WebhookSettings settings,
            LeaseOwner leaseOwner, JsonMapper json) {
        this.deliveries = deliveries;
        this.leaseOwner = leaseOwner;
        this.firstAttempts = firstAttempts;
        this.settings = settings;
        this.json = json;
    }

    @Override
    public String name() {
        return "webhooks";
    }

    /** All of one owner's consecutive events in one statement (the dispatcher's path). */
    @Override
    public void stageAll(List<DeviceEvent> events) {
        if (events.isEmpty()) {
            return;
        }
        List<WebhookDeliveryRepository.EventMessage> messages = events.stream()
                .map(e -> new WebhookDeliveryRepository.EventMessage(e.id(), e.deviceId(), e.type(), payload(e)))
                .toList();
        DeviceEvent first = events.get(0);
        List<WebhookDeliveryRepository.Staged> staged = deliveries.stageForEvents(first.userId(), messages,
                settings.maxAttempts(), settings.firstAttemptLease(), leaseOwner.id());
        if (!staged.isEmpty()) {
            firstAttempts.afterCommit(first.owner(), staged);
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
