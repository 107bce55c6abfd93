package io.virtdevice.devices;

import java.time.Instant;
import java.util.UUID;

/**
 * A secret link that operates one device (for phone shortcuts, Tasker, NFC tags). The link itself is shown
 * only once, in {@link IssuedUrlTrigger}; afterwards only its prefix.
 *
 * @param property the property the link always sets, or null to let the caller choose (or do the device's
 *     default action: press a doorbell, toggle a switch or dimmer, pulse a contact or motion sensor)
 * @param value the value the link always sets (typed like {@link DeviceProperty#value()}), or null
 * @param postOnly whether the link fires only on POST (a GET answers 405 and changes nothing)
 */
public record UrlTrigger(UUID id, UUID deviceId, String name, String prefix, String property, Object value,
        boolean postOnly, Instant lastUsedAt, long useCount, Instant createdAt) {}
