/**
 * The outbox relay: {@link io.virtdevice.events.DeviceEventDispatcher} hands committed change events to every
 * {@link io.virtdevice.events.DeviceEventConsumer}; live streams (SSE) over LISTEN/NOTIFY or Redis.
 */
@ApplicationModule(allowedDependencies = {"devices", "platform"})
package io.virtdevice.events;

import org.springframework.modulith.ApplicationModule;
