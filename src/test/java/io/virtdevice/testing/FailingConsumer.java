package io.virtdevice.testing;

import io.virtdevice.events.DeviceEvent;
import io.virtdevice.events.DeviceEventConsumer;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A consumer in every test context that exercises the relay's failure handling: it refuses every event of
 * a device named {@code poison-...} (until the device name is {@link #cure}d), and the first attempt at each
 * event of a device named {@code flaky-...}. Other devices pass untouched. It remembers the events it took.
 */
public class FailingConsumer implements DeviceEventConsumer {

    public static final String NAME = "test-failing";

    private final Set<UUID> failedOnce = ConcurrentHashMap.newKeySet();
    private final Set<String> cured = ConcurrentHashMap.newKeySet();
    private final Set<UUID> taken = ConcurrentHashMap.newKeySet();

    @Override
    public String name() {
        return NAME;
    }

    /** Events of the device with this name are taken from now on. */
    public void cure(String deviceName) {
        cured.add(deviceName);
    }

    /** Whether this consumer has taken the event (staged it without failing). */
    public boolean took(UUID eventId) {
        return taken.contains(eventId);
    }

    @Override
    public void stage(DeviceEvent event) {
        String name = event.deviceName();
        if (name == null) {
            return;
        }
        if (name.startsWith("poison-") && !cured.contains(name)) {
            throw new IllegalStateException("test consumer refuses event " + event.id());
        }
        if (name.startsWith("flaky-") && failedOnce.add(event.id())) {
            throw new IllegalStateException("test consumer fails once for event " + event.id());
        }
        taken.add(event.id());
    }
}
