package io.virtdevice.alexa;

import io.virtdevice.devices.ChangeSource;
import io.virtdevice.devices.Device;
import io.virtdevice.devices.DeviceProperty;
import io.virtdevice.devices.PropertyTemplate;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The proactive events of spec §3 and §7 (ChangeReport, DoorbellPress, AddOrUpdateReport, DeleteReport): what
 * is staged in the outbox (without token and messageId) and the complete message built for each attempt. The
 * property mapping and the endpoint description are {@link AlexaEndpoints}', the same as ReportState and
 * Discover use.
 */
final class AlexaEventMessages {

    static final String CHANGE_REPORT = "ChangeReport";
    static final String DOORBELL_PRESS = "DoorbellPress";
    static final String ADD_OR_UPDATE = "AddOrUpdateReport";
    static final String DELETE_REPORT = "DeleteReport";

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private static final DateTimeFormatter SECONDS =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss'Z'").withZone(ZoneOffset.UTC);

    private AlexaEventMessages() {}

    /**
     * The cause of a change (spec §7; decisions.md "Alexa proactive events"): whatever a person did to the
     * virtual device (dashboard, REST API, URL trigger, an IFTTT applet acting for them) is a
     * {@code PHYSICAL_INTERACTION}, the cause Amazon's own contact-sensor sample uses; VirtDevice's own timers
     * ({@code system}: a momentary sensor's reset) are a {@code RULE_TRIGGER}.
     */
    static String cause(String source) {
        return ChangeSource.SYSTEM.code().equals(source) ? "RULE_TRIGGER" : "PHYSICAL_INTERACTION";
    }

    /**
     * The device as it was right after the change: the current row's property rules and connectivity, with
     * the event's snapshot values; {@code changed} properties sampled at the change, the others when they last
     * changed (never after it).
     */
    static Device atChange(Device current, JsonNode snapshot, Set<String> changed, Instant occurredAt) {
        Map<String, DeviceProperty> properties = new LinkedHashMap<>();
        current.properties().forEach((name, p) -> {
            JsonNode v = snapshot.path(name);
            Object value = v.isMissingNode() ? p.value() : typed(v);
            Instant sampled = changed.contains(name) || p.lastChangedAt() == null
                    || p.lastChangedAt().isAfter(occurredAt) ? occurredAt : p.lastChangedAt();
            properties.put(name, new DeviceProperty(value, p.dataType(), p.unit(), p.min(), p.max(),
                    p.allowedValues(), p.lastChangedBy(), sampled, p.alexaInterface(), p.alexaPropertyName()));
        });
        // a temperature's unit is itself a property: its value at the change names the scale
        current.type().properties().stream().filter(t -> t.unitProperty() != null).forEach(t -> {
            DeviceProperty p = properties.get(t.name());
            JsonNode unit = snapshot.path(t.unitProperty());
            if (p != null && unit.isString()) {
                properties.put(t.name(), new DeviceProperty(p.value(), p.dataType(), unit.asString(), p.min(), p.max(),
                        p.allowedValues(), p.lastChangedBy(), p.lastChangedAt(), p.alexaInterface(),
                        p.alexaPropertyName()));
            }
        });
        return new Device(current.id(), current.name(), current.friendlyName(), current.type(), current.description(),
                current.alexaEndpointId(), current.iftttDeviceId(), current.online(), current.momentary(),
                current.pulseSeconds(), current.pulseResetAt(), current.version(), properties,
                current.createdAt(), current.updatedAt(), occurredAt);
    }

    /**
     * The Alexa properties ({@code namespace.name}) a change of these device properties changes: their own,
     * and for a unit property (temperature's {@code unit}) the measurement it scales.
     */
    static Set<String> alexaKeys(Device device, Set<String> changedProperties) {
        Set<String> keys = new LinkedHashSet<>();
        for (PropertyTemplate t : device.type().properties()) {
            boolean touched = changedProperties.contains(t.name())
                    || (t.unitProperty() != null && changedProperties.contains(t.unitProperty()));
            if (touched && t.alexaInterface() != null && t.alexaPropertyName() != null) {
                keys.add(t.alexaInterface() + "." + t.alexaPropertyName());
            }
        }
        return keys;
    }

    /** The property objects of a ChangeReport's state (every reportable property, then connectivity). */
    static ArrayNode state(Device device, Instant now) {
        return AlexaEndpoints.state(device, now);
    }

    /** A DoorbellPress body: its cause and the press time in whole seconds (the schema allows no fraction). */
    static ObjectNode doorbellPress(String cause, Instant pressedAt) {
        ObjectNode body = JSON.objectNode();
        body.putObject("cause").put("type", cause);
        body.put("timestamp", SECONDS.format(pressedAt.truncatedTo(ChronoUnit.SECONDS)));
        return body;
    }

    /** An AddOrUpdateReport body: the endpoint exactly as Discover describes it. */
    static ObjectNode addOrUpdate(Device device) {
        ObjectNode body = JSON.objectNode();
        body.putArray("endpoints").add(AlexaEndpoints.discovery(device));
        return body;
    }

    /** A DeleteReport body. */
    static ObjectNode delete(String endpointId) {
        ObjectNode body = JSON.objectNode();
        body.putArray("endpoints").addObject().put("endpointId", endpointId);
        return body;
    }

    /** A ChangeReport of a device's whole current state (the diagnostics' test fire). */
    static Set<String> allKeys(ArrayNode state) {
        Set<String> keys = new LinkedHashSet<>();
        state.forEach(p -> {
            if (!AlexaEndpoints.HEALTH.equals(p.path("namespace").asString())) {
                keys.add(p.path("namespace").asString() + "." + p.path("name").asString());
            }
        });
        return keys;
    }

    /** The complete message of one attempt, with its token (in {@code scope}) and a fresh messageId. */
    static ObjectNode message(String kind, String endpointId, String cause, JsonNode body, Set<String> changed,
            String token, String messageId) {
        ObjectNode message = JSON.objectNode();
        ObjectNode event = message.putObject("event");
        ObjectNode header = event.putObject("header");
        header.put("namespace", switch (kind) {
            case CHANGE_REPORT -> "Alexa";
            case DOORBELL_PRESS -> "Alexa.DoorbellEventSource";
            default -> "Alexa.Discovery";
        });
        header.put("name", kind);
        header.put("payloadVersion", "3");
        header.put("messageId", messageId);
        switch (kind) {
            case CHANGE_REPORT -> {
                endpoint(event, endpointId, token);
                ArrayNode changes = JSON.arrayNode();
                ArrayNode rest = JSON.arrayNode();
                body.forEach(p -> (changed.contains(p.path("namespace").asString() + "." + p.path("name").asString())
                        ? changes : rest).add(p));
                ObjectNode change = event.putObject("payload").putObject("change");
                change.putObject("cause").put("type", cause);
                change.set("properties", changes);
                message.putObject("context").set("properties", rest);
            }
            case DOORBELL_PRESS -> {
                endpoint(event, endpointId, token);
                event.set("payload", body.deepCopy());
                message.putObject("context");
            }
            default -> {
                ObjectNode payload = ((ObjectNode) body).deepCopy();
                payload.putObject("scope").put("type", "BearerToken").put("token", token);
                event.set("payload", payload);
            }
        }
        return message;
    }

    /** A messageId (spec §2: letters, digits and dashes, at most 127). */
    static String messageId() {
        return UUID.randomUUID().toString();
    }

    private static void endpoint(ObjectNode event, String endpointId, String token) {
        ObjectNode endpoint = event.putObject("endpoint");
        endpoint.putObject("scope").put("type", "BearerToken").put("token", token);
        endpoint.put("endpointId", endpointId);
    }

    private static Object typed(JsonNode v) {
        if (v.isBoolean()) {
            return v.asBoolean();
        }
        if (v.isIntegralNumber()) {
            return v.asLong();
        }
        if (v.isNumber()) {
            return v.asDouble();
        }
        if (v.isString()) {
            return v.asString();
        }
        return null;
    }
}
