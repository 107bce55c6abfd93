package io.virtdevice.testing;

import io.virtdevice.events.DeviceEvent;
import io.virtdevice.events.DeviceEventConsumer;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A consumer in every test context that exercises the relay's failure handling: it refuses every event of
 * a device named {@code poison-...}, and the first attempt at each event of a device named
 * {@code flaky-...}. Other devices pass untouched.
 */
public class FailingConsumer implements DeviceEventConsumer {

    private final Set<UUID> failedOnce = ConcurrentHashMap.newKeySet();

    @Override
    public void stage(DeviceEvent event) {
        String name = event.deviceName();
        if (name == null) {
            return;
        }
        if (name.startsWith("poison-")) {
            throw new IllegalStateException("test consumer refuses event " + event.id());
        }
        if (name.startsWith("flaky-") && failedOnce.add(event.id())) {
            throw new IllegalStateException("test consumer fails once for event " + event.id());
        }
    }
}
