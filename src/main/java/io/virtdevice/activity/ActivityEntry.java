package io.virtdevice.activity;

import java.time.Instant;
import java.util.UUID;
import tools.jackson.databind.JsonNode;

/**
 * One activity-log entry as the API returns it.
 *
 * @param action an {@link ActivityAction} code such as {@code property_changed}
 * @param source web, api, alexa, ifttt, trigger or system
 * @param details the JSON object recorded with the entry (names are snapshots taken at the time)
 */
public record ActivityEntry(UUID id, String action, String source, UUID deviceId, UUID userId, JsonNode details,
        String ipAddress, String userAgent, Instant createdAt) {}
