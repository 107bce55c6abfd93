package io.virtdevice.devices;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * A virtual device as every surface sees it: identity, names, the ids Alexa and IFTTT know it by, and its
 * properties in template order.
 *
 * @param online false when the user marked the device offline (Alexa: EndpointHealth UNREACHABLE, control
 *     directives ENDPOINT_UNREACHABLE); the device still takes changes from every other source
 * @param momentary contact and motion sensors only: every DETECTED is a pulse, reset to NOT_DETECTED
 *     {@code pulseSeconds} later by the system (docs/momentary-sensors.md)
 * @param pulseSeconds how long a pulse stays DETECTED, 1 to 3600 (default 10); also used by an explicit
 *     pulse of a sensor that is not momentary
 * @param pulseResetAt when the pulse under way resets to NOT_DETECTED, or null if none is
 * @param version bumped on every change; the HTTP ETag and the order of the device's events
 * @param lastStateChange when a property value last changed, or null if never
 */
public record Device(
        UUID id,
        String name,
        String friendlyName,
        DeviceType type,
        String description,
        String alexaEndpointId,
        String iftttDeviceId,
        boolean online,
        boolean momentary,
        int pulseSeconds,
        Instant pulseResetAt,
        long version,
        Map<String, DeviceProperty> properties,
        Instant createdAt,
        Instant updatedAt,
        @JsonIgnore Instant lastStateChange) {

    /** The typed value of a property, or null if the device has no such property or it has no value. */
    public Object value(String property) {
        DeviceProperty p = properties.get(property);
        return p == null ? null : p.value();
    }

    /** Every property's typed value, in template order (the {@code snapshot} of a device event). */
    public Map<String, Object> snapshot() {
        return snapshot(properties);
    }

    static Map<String, Object> snapshot(Map<String, DeviceProperty> properties) {
        Map<String, Object> values = new LinkedHashMap<>();
        properties.forEach((name, p) -> values.put(name, p.value()));
        return values;
    }
}
