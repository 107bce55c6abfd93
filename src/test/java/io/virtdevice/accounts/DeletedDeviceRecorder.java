package io.virtdevice.accounts;

import io.virtdevice.events.DeviceEvent;
import io.virtdevice.events.DeviceEventConsumer;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Component;

/**
 * A change-event consumer in the test context that keeps every {@code device.deleted} event it is handed,
 * per device: what the Alexa and IFTTT consumers will see of a device that is gone.
 */
@Component
class DeletedDeviceRecorder implements DeviceEventConsumer {

    private final Map<UUID, DeviceEvent> deleted = new ConcurrentHashMap<>();

    @Override
    public String name() {
        return "test-deleted-devices";
    }

    @Override
    public void stage(DeviceEvent event) {
        if ("device.deleted".equals(event.type())) {
            deleted.put(event.deviceId(), event);
        }
    }

    Optional<DeviceEvent> deleted(UUID deviceId) {
        return Optional.ofNullable(deleted.get(deviceId));
    }
}
