package io.virtdevice.devices;

/**
 * What a caller supplies to create a device; everything else is the server's.
 *
 * @param friendlyName the name voice assistants use; defaults to {@code name}
 * @param description optional, at most 128 characters
 * @param momentary contact and motion sensors only: make every DETECTED a pulse; null means false
 * @param pulseSeconds contact and motion sensors only: how long a pulse stays DETECTED, 1 to 3600; null
 *     means {@value DeviceManagement#DEFAULT_PULSE_SECONDS}
 */
public record NewDevice(String name, DeviceType type, String friendlyName, String description, Boolean momentary,
        Integer pulseSeconds) {

    /** A device with the default pulse options. */
    public NewDevice(String name, DeviceType type, String friendlyName, String description) {
        this(name, type, friendlyName, description, null, null);
    }
}
