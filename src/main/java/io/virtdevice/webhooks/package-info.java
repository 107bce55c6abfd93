/**
 * Signed outbound webhooks (Standard Webhooks): a {@link io.virtdevice.events.DeviceEventConsumer} staging
 * deliveries, first attempts, retries on db-scheduler, the delivery log.
 */
@ApplicationModule(allowedDependencies = {"activity", "devices", "events", "limits", "platform"})
package io.virtdevice.webhooks;

import org.springframework.modulith.ApplicationModule;
