/**
 * Devices, their templates and properties, URL triggers. {@link io.virtdevice.devices.DeviceManagement} is
 * the one way to change a device; each change writes its {@code device_events} row in the same transaction.
 */
@ApplicationModule(allowedDependencies = {"activity", "limits", "platform"})
package io.virtdevice.devices;

import org.springframework.modulith.ApplicationModule;
