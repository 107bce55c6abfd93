package io.virtdevice.devices;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.springframework.stereotype.Component;
import org.springframework.transaction.event.TransactionalEventListener;

/** Records every committed {@link DeviceStateChanged}, per device, so tests can count them. */
@Component
class DeviceEventRecorder {

    private final Map<UUID, List<DeviceStateChanged>> events = new ConcurrentHashMap<>();

    @TransactionalEventListener(fallbackExecution = true)
    void on(DeviceStateChanged event) {
        events.computeIfAbsent(event.deviceId(), id -> new CopyOnWriteArrayList<>()).add(event);
    }

    List<DeviceStateChanged> of(UUID deviceId) {
        return List.copyOf(events.getOrDefault(deviceId, List.of()));
    }
}
