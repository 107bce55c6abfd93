package io.virtdevice.devices;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * Published once per committed device operation (creation, edit, deletion, property change, doorbell
 * press), inside the operation's transaction: react to it with {@code @TransactionalEventListener} (or
 * Modulith's {@code @ApplicationModuleListener}) so nothing happens for a change that rolled back. The
 * durable record of the same change is the {@code device_events} row {@link #eventId}; a listener that
 * runs in another thread must open the tenant scope from {@link #tenantId} and {@link #userId} itself.
 *
 * @param version the device's version after the change (for a deletion, one past its last version)
 * @param changes for property changes the properties that changed; for edits the names that changed
 *     ({@code name}, {@code friendlyName}, {@code description}); empty for creation and deletion
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
        Instant occurredAt) {

    public DeviceStateChanged {
        changes = List.copyOf(changes);
    }

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
