package io.virtdevice.alexa;

import io.virtdevice.events.DeviceEvent;
import io.virtdevice.events.DeviceEventConsumer;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Component;

/**
 * A change-event consumer in the test context doing what the proactive-event sender does for a
 * {@code device.deleted} event: asks {@link AlexaLinks} for its owner's token, after the deletion committed
 * (when the owner may be gone too), and keeps the answer per device.
 */
@Component
class DeletedOwnerTokenRecorder implements DeviceEventConsumer {

    private final AlexaLinks links;
    private final Map<UUID, Optional<LwaToken>> tokens = new ConcurrentHashMap<>();

    DeletedOwnerTokenRecorder(AlexaLinks links) {
        this.links = links;
    }

    @Override
    public String name() {
        return "test-alexa-deleted-owner-tokens";
    }

    @Override
    public void stage(DeviceEvent event) {
        if ("device.deleted".equals(event.type())) {
            tokens.put(event.deviceId(), links.token(event.owner()));
        }
    }

    /** Null until the device's delete event was handed over; then the token the owner's link gave, if any. */
    Optional<LwaToken> tokenAtDeletion(UUID deviceId) {
        return tokens.get(deviceId);
    }
}
