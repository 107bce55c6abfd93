package io.virtdevice.devices;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * Published once per committed device operation (creation, edit, deletion, property change, doorbell
 * press), inside the operation's transaction: react to it with {@code @TransactionalEventListener} (or
 * Modulith's {@code @ApplicationModuleListener}) so nothing happens for a change that rolled back, with
 * {@code fallbackExecution = true}: a property change that was a transaction of its own (one statement,
 * auto-committed: docs/decisions.md, "The write path in one round trip") is published after it committed,
 * outside any transaction, and a listener without it would never hear of it. The
 * durable record of the same change is the {@code device_events} row {@link #eventId}; a listener that
 * runs in another thread must open the tenant scope from {@link #tenantId} and {@link #userId} itself.
 *
 * @param version the device's version after the change (for a deletion, one past its last version)
 * @param changes for property changes the properties that changed; for edits the names that changed
 *     ({@code name}, {@code friendlyName}, {@code description}); empty for creation and deletion
 * @param row the rest of the {@code device_events} row as the database stored it, so that a consumer in
 *     this process can hand the committed event on without reading it back
 */
public record DeviceStateChanged(
        UUID tenantId,
        UUID userId,
        UUID deviceId,
        DeviceType deviceType,
        UUID eventId,
        Kind kind,
        ChangeSource source,
        long version,
        List<Change> changes,
        Instant occurredAt,
        Row row) {

    public DeviceStateChanged {
        changes = List.copyOf(changes);
    }

    /**
     * Columns of the stored {@code device_events} row.
     *
     * @param seq its position in the global order of inserts
     * @param alexaEndpointId the device's Alexa endpoint id (random, not derived from the device id)
     * @param iftttDeviceId the device's IFTTT device id
     * @param changes the stored {@code changes} as PostgreSQL renders the jsonb (keys in its order)
     * @param snapshot the stored {@code snapshot}, likewise
     */
    public record Row(long seq, String deviceName, String alexaEndpointId, String iftttDeviceId, String changes,
            String snapshot) {}

    /** The kinds of {@code device_events}; {@link #code()} is the stored value. */
    public enum Kind {
        CREATED("device.created"),
        UPDATED("device.updated"),
        DELETED("device.deleted"),
        PROPERTY_CHANGED("property.changed"),
        DOORBELL_PRESSED("doorbell.pressed");

        private final String code;

        Kind(String code) {
            this.code = code;
        }

        public String code() {
            return code;
        }
    }

    /** One changed value, typed as in {@link DeviceProperty#value()}. */
    public record Change(
            String property, @JsonProperty("old") Object oldValue, @JsonProperty("new") Object newValue) {}
}
