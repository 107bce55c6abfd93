package io.virtdevice.events;

import io.virtdevice.platform.tenancy.TenantContext;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import tools.jackson.databind.JsonNode;

/**
 * One committed device change as stored in {@code device_events}: what webhooks, live streams and the
 * other integrations deliver.
 *
 * @param seq the event's position in the global order of inserts (the live stream's event id)
 * @param type {@code device.created}, {@code device.updated}, {@code device.deleted},
 *     {@code property.changed} or {@code doorbell.pressed}
 * @param deviceName the device's name when the change happened (null for events stored before it was kept)
 * @param alexaEndpointId the endpoint id Alexa knows the device by, kept so a consumer can still name a
 *     device whose row is gone (a DeleteReport); null for events stored before V004
 * @param iftttDeviceId the id IFTTT knows the device by; null for events stored before V004
 * @param changes {@code [{"property":..,"old":..,"new":..}]}
 * @param snapshot every property's value after the change
 */
public record DeviceEvent(
        UUID id,
        long seq,
        UUID tenantId,
        UUID userId,
        UUID deviceId,
        String deviceName,
        String deviceType,
        String alexaEndpointId,
        String iftttDeviceId,
        String type,
        String source,
        long version,
        JsonNode changes,
        JsonNode snapshot,
        Instant occurredAt) {

    /** The tenant context the event belongs to. */
    public TenantContext owner() {
        return new TenantContext(tenantId, userId);
    }

    /** The public JSON body of the event, the same for webhooks and live streams. */
    public Map<String, Object> body() {
        Map<String, Object> device = new LinkedHashMap<>();
        device.put("id", deviceId);
        device.put("name", deviceName);
        device.put("type", deviceType);
        device.put("alexaEndpointId", alexaEndpointId);
        device.put("iftttDeviceId", iftttDeviceId);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", id);
        body.put("type", type);
        body.put("occurredAt", occurredAt);
        body.put("device", device);
        body.put("source", source);
        body.put("version", version);
        body.put("changes", changes);
        body.put("snapshot", snapshot);
        return body;
    }
}
