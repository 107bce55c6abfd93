package io.virtdevice.events;

import java.util.Collection;
import java.util.List;
import java.util.UUID;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/**
 * Reads a device's past changes straight from {@code device_events}, for integrations that serve a
 * history (IFTTT's trigger polls) without keeping a copy of their own. Runs in the caller's tenant context:
 * row-level security shows the context user's events only.
 */
@Component
public class DeviceEventHistory {

    /** The most events one read returns. */
    public static final int MAX_LIMIT = 500;

    private final DeviceEventReader reader;

    DeviceEventHistory(DeviceEventReader reader) {
        this.reader = reader;
    }

    /**
     * The device's newest events of the given kinds, newest first (by commit sequence).
     *
     * @param kinds event types ({@code property.changed}, {@code doorbell.pressed}, ...)
     * @param changesPath a SQL/JSON path the event's {@code changes} array must match (e.g.
     *     {@code $[*] ? (@.property == "power" && @.new == true)}), or null for every event of those kinds
     * @param pathVariables a JSON object of the variables the path names ({@code $threshold}), or null
     * @param limit 1 to {@value #MAX_LIMIT}
     */
    @Transactional(readOnly = true)
    public List<DeviceEvent> newestOfDevice(UUID userId, UUID deviceId, Collection<String> kinds, String changesPath,
            String pathVariables, int limit) {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be between 1 and " + MAX_LIMIT);
        }
        return reader.newestOfDevice(userId, deviceId, kinds, changesPath,
                pathVariables == null ? "{}" : pathVariables, limit);
    }
}
