package io.virtdevice.ifttt;

import io.virtdevice.events.DeviceEvent;
import io.virtdevice.events.DeviceEventConsumer;
import java.util.Map;
import java.util.Optional;
import org.springframework.stereotype.Component;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * The realtime side of IFTTT's triggers (shared/spec/ifttt.md §6): for each committed change, stages one
 * notice per stored trigger identity it matches (the same {@link ChangeRule} the poll uses), due after the
 * debounce; a notice already waiting for that identity absorbs the change. {@link RealtimeSender} sends
 * them. A deleted device's identities are switched off, so they never match again. Idempotent: staging a
 * notice twice leaves one.
 */
@Component
class IftttEventConsumer implements DeviceEventConsumer {

    private static final TypeReference<Map<String, String>> FIELDS = new TypeReference<>() {};

    private final TriggerSubscriptions subscriptions;
    private final JsonMapper json;
    private final String debounce;

    IftttEventConsumer(TriggerSubscriptions subscriptions, IftttSettings settings, JsonMapper json) {
        this.subscriptions = subscriptions;
        this.json = json;
        this.debounce = settings.realtimeDebounce().toMillis() + " milliseconds";
    }

    @Override
    public String name() {
        return "ifttt";
    }

    @Override
    public void stage(DeviceEvent event) {
        if (event.iftttDeviceId() == null) {
            return;
        }
        if ("device.deleted".equals(event.type())) {
            subscriptions.disableDevice(event.userId(), event.iftttDeviceId());
            return;
        }
        if (!IftttTriggers.KINDS.contains(event.type())) {
            return;
        }
        for (TriggerSubscriptions.Subscription subscription : subscriptions.ofDevice(event.userId(), event.iftttDeviceId())) {
            Optional<ChangeRule> rule = rule(subscription);
            if (rule.isPresent() && rule.get().firstMatch(event.changes()).isPresent()) {
                subscriptions.stageNotice(event.owner(), subscription, debounce);
            }
        }
    }

    /** The identity's rule; empty for one stored by a version that knew other triggers or fields. */
    private Optional<ChangeRule> rule(TriggerSubscriptions.Subscription subscription) {
        try {
            Map<String, String> values = json.readValue(subscription.fields(), FIELDS);
            return IftttTrigger.of(subscription.trigger()).map(t -> t.rule(values));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }
}
