package io.virtdevice.devices;

/**
 * What a caller supplies to create a device; everything else is the server's.
 *
 * @param friendlyName the name voice assistants use; defaults to {@code name}
 * @param description optional, at most 128 characters
 */
public record NewDevice(String name, DeviceType type, String friendlyName, String description) {}
