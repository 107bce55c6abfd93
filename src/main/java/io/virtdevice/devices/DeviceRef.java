package io.virtdevice.devices;

import java.util.UUID;

/**
 * A device's identity without its state (no properties read): enough to check its type, name it or address it
 * by id, in one statement ({@link DeviceManagement#refByIftttDeviceId}).
 */
public record DeviceRef(UUID id, String name, DeviceType type, String iftttDeviceId) {}
