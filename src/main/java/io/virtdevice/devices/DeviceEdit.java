package io.virtdevice.devices;

import java.util.Optional;

/**
 * A change to a device's names and options. A null component leaves that field as it is.
 *
 * @param description null keeps the description, an empty Optional removes it
 * @param online false marks the device offline (Alexa then reports it UNREACHABLE), true online again
 * @param momentary contact and motion sensors only (others: a 400); switching it off
 *     does not cancel a pulse already under way
 * @param pulseSeconds contact and motion sensors only, 1 to 3600; applies from the next pulse on
 */
public record DeviceEdit(String name, String friendlyName, Optional<String> description, Boolean online,
        Boolean momentary, Integer pulseSeconds) {

    /** A change to the names only. */
    public DeviceEdit(String name, String friendlyName, Optional<String> description) {
        this(name, friendlyName, description, null, null, null);
    }

    /** Marks a device offline ({@code false}) or online again ({@code true}), nothing else. */
    public static DeviceEdit online(boolean online) {
        return new DeviceEdit(null, null, null, online, null, null);
    }
}
