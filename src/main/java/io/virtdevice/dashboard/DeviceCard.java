package io.virtdevice.dashboard;

import io.virtdevice.devices.Device;
import io.virtdevice.devices.DeviceProperty;
import io.virtdevice.devices.DeviceType;
import io.virtdevice.events.DeviceEvent;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import io.virtdevice.platform.web.DisplayTimes;
import tools.jackson.databind.JsonNode;

/**
 * What a device card shows: built from the device as read (page loads, answers to the card's buttons) or
 * from a committed change event (live updates, so each card shows exactly the version the event carries).
 *
 * @param version the device's version; the page never replaces a card by an older one
 * @param values every property's typed value (Boolean, Long, Double or String; an event's last time)
 */
public record DeviceCard(UUID id, String name, DeviceType type, long version, boolean online, boolean momentary,
        Map<String, Object> values, Instant changedAt, String changedBy) {

    static DeviceCard of(Device device) {
        DeviceProperty last = device.properties().values().stream()
                .filter(p -> p.lastChangedAt() != null)
                .max(Comparator.comparing(DeviceProperty::lastChangedAt))
                .orElse(null);
        return new DeviceCard(device.id(), device.name(), device.type(), device.version(), device.online(),
                device.momentary(), device.snapshot(), last == null ? device.createdAt() : last.lastChangedAt(),
                last == null ? null : last.lastChangedBy());
    }

    /**
     * The card at the event's version. An event carries the property values, not the device's flags: whether
     * it is online comes from the event's own change of {@code online} if it has one, else from the device as
     * it is now ({@code current}, empty if unknown or gone: online, not momentary).
     */
    static DeviceCard of(DeviceEvent event, Optional<Device> current) {
        Map<String, Object> values = new LinkedHashMap<>();
        JsonNode snapshot = event.snapshot();
        if (snapshot != null) {
            snapshot.properties().forEach(e -> values.put(e.getKey(), typed(e.getValue())));
        }
        DeviceType type = DeviceType.fromCode(event.deviceType()).orElse(DeviceType.SWITCH);
        boolean online = changed(event, "online").map(JsonNode::asBoolean)
                .orElseGet(() -> current.map(Device::online).orElse(true));
        boolean momentary = changed(event, "momentary").map(JsonNode::asBoolean)
                .orElseGet(() -> current.map(Device::momentary).orElse(false));
        return new DeviceCard(event.deviceId(), event.deviceName() == null ? "Device" : event.deviceName(), type,
                event.version(), online, momentary, values, event.occurredAt(), event.source());
    }

    private static Optional<JsonNode> changed(DeviceEvent event, String field) {
        if (event.changes() == null) {
            return Optional.empty();
        }
        for (JsonNode change : event.changes()) {
            if (field.equals(change.path("property").asString(null)) && change.has("new")) {
                return Optional.of(change.get("new"));
            }
        }
        return Optional.empty();
    }

    /** Contact and motion sensors can pulse (the card shows the button when the sensor is momentary). */
    public boolean pulsable() {
        return type == DeviceType.CONTACT_SENSOR || type == DeviceType.MOTION_SENSOR;
    }

    private static Object typed(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        if (node.isIntegralNumber()) {
            return node.longValue();
        }
        if (node.isNumber()) {
            return node.doubleValue();
        }
        return node.asString();
    }

    public boolean on() {
        return Boolean.TRUE.equals(values.get("power"));
    }

    public boolean switchable() {
        return type == DeviceType.SWITCH || type == DeviceType.DIMMER;
    }

    public long brightness() {
        return values.get("brightness") instanceof Number n ? n.longValue() : 0;
    }

    public String typeLabel() {
        return switch (type) {
            case SWITCH -> "Switch";
            case DIMMER -> "Dimmer";
            case CONTACT_SENSOR -> "Contact sensor";
            case MOTION_SENSOR -> "Motion sensor";
            case TEMPERATURE_SENSOR -> "Temperature sensor";
            case DOORBELL -> "Doorbell";
        };
    }

    public String stateLabel() {
        return switch (type) {
            case SWITCH -> on() ? "On" : "Off";
            case DIMMER -> on() ? "On · " + brightness() + "%" : "Off · " + brightness() + "%";
            case CONTACT_SENSOR -> "open".equals(values.get("contact")) ? "Open" : "Closed";
            case MOTION_SENSOR -> "detected".equals(values.get("motion")) ? "Motion detected" : "No motion";
            case TEMPERATURE_SENSOR -> temperature();
            case DOORBELL -> values.get("press") == null ? "Never pressed" : "Pressed";
        };
    }

    /** on (green), off (grey) or alert (red: open, motion). */
    public String stateClass() {
        return switch (type) {
            case SWITCH, DIMMER -> on() ? "on" : "off";
            case CONTACT_SENSOR -> "open".equals(values.get("contact")) ? "alert" : "off";
            case MOTION_SENSOR -> "detected".equals(values.get("motion")) ? "alert" : "off";
            default -> "";
        };
    }

    public String temperature() {
        Object value = values.get("temperature");
        String unit = String.valueOf(values.getOrDefault("unit", "celsius"));
        String symbol = switch (unit) {
            case "fahrenheit" -> "°F";
            case "kelvin" -> "K";
            default -> "°C";
        };
        String number = value instanceof Number n
                ? new BigDecimal(n.toString()).stripTrailingZeros().toPlainString()
                : "–";
        return number + " " + symbol;
    }

    public Object value(String property) {
        return values.get(property);
    }

    /** When the doorbell was last pressed, as stored (ISO-8601), or null. */
    public String lastPressed() {
        return values.get("press") instanceof String s ? s : null;
    }

    /** When the state last changed, for people: {@code 2026-12-03 14:05:09 UTC}. */
    public String changedAtText() {
        return changedAt == null ? "" : DisplayTimes.of(changedAt);
    }

    public String changedAtIso() {
        return changedAt == null ? "" : changedAt.toString();
    }

    public String source() {
        return changedBy == null ? null : changedBy.toLowerCase(Locale.ROOT);
    }
}
