package io.virtdevice.devices;

import java.time.Instant;
import java.util.UUID;

/** A newly created URL trigger with its link, which is never shown again (only its hash is stored). */
public record IssuedUrlTrigger(UUID id, UUID deviceId, String name, String url, String prefix, String property,
        Object value, boolean postOnly, Instant createdAt) {}
