package io.virtdevice.alexa;

import io.virtdevice.devices.Device;
import io.virtdevice.devices.DeviceProperty;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * A device as Alexa sees it: its discovery endpoint object (shared/spec/alexa.md §3) and its reportable
 * properties (§2, §4.3). The capabilities come from the device's own property rows (each names the Alexa
 * interface and property that carries it), plus {@code Alexa.EndpointHealth} and {@code Alexa} for every type.
 */
final class AlexaEndpoints {

    static final String MANUFACTURER = "VirtDevice";
    static final String POWER = "Alexa.PowerController";
    static final String BRIGHTNESS = "Alexa.BrightnessController";
    static final String HEALTH = "Alexa.EndpointHealth";

    /** Amazon's limits: friendlyName and description 1-128 characters (§3). */
    static final int NAME_MAX = 128;

    /** Characters Home Assistant strips from names and descriptions (§3, HA-ent TRANSLATION_TABLE). */
    private static final String STRIPPED = "}{\\/|\"()[]+~!><*%";

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private AlexaEndpoints() {}

    /** The {@code Discover.Response} endpoint object. */
    static ObjectNode discovery(Device device) {
        ObjectNode endpoint = JSON.objectNode();
        endpoint.put("endpointId", device.alexaEndpointId());
        endpoint.put("manufacturerName", MANUFACTURER);
        endpoint.put("friendlyName", sanitised(device.friendlyName(), device.type().model()));
        endpoint.put("description", sanitised(device.description(), device.type().model() + " by " + MANUFACTURER));
        endpoint.putArray("displayCategories").add(device.type().alexaDisplayCategory());
        ObjectNode attributes = endpoint.putObject("additionalAttributes");
        attributes.put("manufacturer", MANUFACTURER);
        attributes.put("model", device.type().model());
        ArrayNode capabilities = endpoint.putArray("capabilities");
        interfaces(device).forEach((name, properties) -> {
            ObjectNode capability = capabilities.addObject();
            capability.put("type", "AlexaInterface");
            capability.put("interface", name);
            capability.put("version", "3");
            if (properties.isEmpty()) {
                // an event source (DoorbellEventSource): the flag at capability level, no properties
                capability.put("proactivelyReported", true);
            } else {
                reportable(capability, properties);
            }
        });
        reportable(capabilities.addObject().put("type", "AlexaInterface").put("interface", HEALTH).put("version", "3"),
                List.of("connectivity"));
        capabilities.addObject().put("type", "AlexaInterface").put("interface", "Alexa").put("version", "3");
        return endpoint;
    }

    private static void reportable(ObjectNode capability, List<String> properties) {
        ObjectNode node = capability.putObject("properties");
        ArrayNode supported = node.putArray("supported");
        properties.forEach(p -> supported.addObject().put("name", p));
        node.put("proactivelyReported", true);
        node.put("retrievable", true);
    }

    /** Alexa interface -> its property names (empty for an event source), in the device's property order. */
    static Map<String, List<String>> interfaces(Device device) {
        Map<String, List<String>> interfaces = new LinkedHashMap<>();
        device.properties().values().stream().filter(p -> p.alexaInterface() != null).forEach(p -> {
            List<String> names = interfaces.computeIfAbsent(p.alexaInterface(), k -> new java.util.ArrayList<>());
            if (p.alexaPropertyName() != null && !names.contains(p.alexaPropertyName())) {
                names.add(p.alexaPropertyName());
            }
        });
        return interfaces;
    }

    /** The device's property that an Alexa interface carries, by its name in the devices module, or null. */
    static String propertyFor(Device device, String alexaInterface) {
        for (Map.Entry<String, DeviceProperty> e : device.properties().entrySet()) {
            if (alexaInterface.equals(e.getValue().alexaInterface()) && e.getValue().alexaPropertyName() != null) {
                return e.getKey();
            }
        }
        return null;
    }

    /**
     * Every retrievable property with its current value and {@code timeOfSample} (when VirtDevice last
     * confirmed it; uncertainty 0, the state is VirtDevice's own), then {@code connectivity}.
     */
    static ArrayNode state(Device device, Instant now) {
        ArrayNode properties = JSON.arrayNode();
        for (DeviceProperty p : device.properties().values()) {
            if (p.alexaInterface() == null || p.alexaPropertyName() == null || p.value() == null) {
                continue;
            }
            Object value = value(p);
            if (value == null) {
                continue;
            }
            ObjectNode property = properties.addObject();
            property.put("namespace", p.alexaInterface());
            property.put("name", p.alexaPropertyName());
            property.set("value", toNode(value));
            property.put("timeOfSample", AlexaTime.timeOfSample(p.lastChangedAt(), now));
            property.put("uncertaintyInMilliseconds", 0);
        }
        ObjectNode connectivity = properties.addObject();
        connectivity.put("namespace", HEALTH);
        connectivity.put("name", "connectivity");
        connectivity.putObject("value").put("value", device.online() ? "OK" : "UNREACHABLE");
        connectivity.put("timeOfSample", AlexaTime.timeOfSample(now, now));
        connectivity.put("uncertaintyInMilliseconds", 0);
        return properties;
    }

    private static tools.jackson.databind.JsonNode toNode(Object value) {
        return switch (value) {
            case String s -> JSON.stringNode(s);
            case Long l -> JSON.numberNode(l);
            case Integer i -> JSON.numberNode(i);
            case tools.jackson.databind.JsonNode n -> n;
            default -> JSON.stringNode(value.toString());
        };
    }

    /** A property's value in Alexa's vocabulary, or null when it has none Alexa understands. */
    private static Object value(DeviceProperty p) {
        Object v = p.value();
        return switch (p.alexaInterface()) {
            case POWER -> Boolean.TRUE.equals(v) ? "ON" : "OFF";
            case BRIGHTNESS -> v instanceof Number n ? (Object) Long.valueOf(Math.max(0, Math.min(100, n.longValue())))
                    : null;
            // contact: DETECTED means open (the surfaces are not touching), §4.3
            case "Alexa.ContactSensor" -> "open".equals(v) ? "DETECTED" : "NOT_DETECTED";
            case "Alexa.MotionSensor" -> "detected".equals(v) ? "DETECTED" : "NOT_DETECTED";
            case "Alexa.TemperatureSensor" -> {
                if (!(v instanceof Number n) || p.unit() == null) {
                    yield null;
                }
                ObjectNode temperature = JSON.objectNode();
                temperature.put("value", n.doubleValue());
                temperature.put("scale", p.unit().toUpperCase(Locale.ROOT));
                yield temperature;
            }
            default -> null;
        };
    }

    /**
     * A name or description within Amazon's limits: HA's stripped characters and control characters removed,
     * whitespace collapsed, at most 128 characters (never a split surrogate pair); the fallback if nothing is
     * left.
     */
    static String sanitised(String text, String fallback) {
        if (text == null) {
            return fallback;
        }
        StringBuilder out = new StringBuilder();
        boolean space = false;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (Character.isWhitespace(cp) || Character.isSpaceChar(cp)) {
                space = !out.isEmpty();
                continue;
            }
            if (Character.isISOControl(cp) || Character.getType(cp) == Character.FORMAT
                    || (cp < 128 && STRIPPED.indexOf(cp) >= 0)) {
                continue;
            }
            int needed = Character.charCount(cp) + (space ? 1 : 0);
            if (out.length() + needed > NAME_MAX) {
                break;
            }
            if (space) {
                out.append(' ');
                space = false;
            }
            out.appendCodePoint(cp);
        }
        return out.isEmpty() ? fallback : out.toString();
    }
}
