package io.virtdevice.devices;

import java.util.Optional;

/**
 * A change to a device's names. A null component leaves that field as it is.
 *
 * @param description null keeps the description, an empty Optional removes it
 */
public record DeviceEdit(String name, String friendlyName, Optional<String> description) {}
