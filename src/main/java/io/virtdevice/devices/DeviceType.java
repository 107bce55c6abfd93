package io.virtdevice.devices;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The device templates users can create. Each maps onto one Alexa display category and the Alexa
 * interfaces of its properties (spec/alexa.md §3), and onto IFTTT's device triggers and actions
 * (spec/ifttt.md §9). Codes are stored in {@code devices.device_type}; adding a type needs its code added
 * to that column's CHECK constraint too.
 */
public enum DeviceType {
    SWITCH("Virtual switch", "SWITCH",
            PropertyTemplate.bool("power", false, "Alexa.PowerController", "powerState")),
    DIMMER("Virtual dimmer", "LIGHT",
            PropertyTemplate.bool("power", false, "Alexa.PowerController", "powerState"),
            PropertyTemplate.integer("brightness", 100, 0, 100, "percent", "Alexa.BrightnessController",
                    "brightness")),
    CONTACT_SENSOR("Virtual contact sensor", "CONTACT_SENSOR",
            PropertyTemplate.choice("contact", "closed", List.of("open", "closed"), "Alexa.ContactSensor",
                    "detectionState")),
    MOTION_SENSOR("Virtual motion sensor", "MOTION_SENSOR",
            PropertyTemplate.choice("motion", "not_detected", List.of("detected", "not_detected"),
                    "Alexa.MotionSensor", "detectionState")),
    TEMPERATURE_SENSOR("Virtual temperature sensor", "TEMPERATURE_SENSOR",
            PropertyTemplate.decimal("temperature", "20.0", "-273.15", "1000", "unit", "Alexa.TemperatureSensor",
                    "temperature"),
            PropertyTemplate.choice("unit", "celsius", List.of("celsius", "fahrenheit", "kelvin"), null, null)),
    DOORBELL("Virtual doorbell", "DOORBELL",
            PropertyTemplate.event("press", "Alexa.DoorbellEventSource"));

    private final String model;
    private final String alexaDisplayCategory;
    private final List<PropertyTemplate> properties;

    DeviceType(String model, String alexaDisplayCategory, PropertyTemplate... properties) {
        this.model = model;
        this.alexaDisplayCategory = alexaDisplayCategory;
        this.properties = List.of(properties);
    }

    @JsonValue
    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }

    // read for every device row (Discover maps 300 at a time): a map, not a scan of values() with streams
    private static final Map<String, DeviceType> BY_CODE =
            Arrays.stream(values()).collect(Collectors.toUnmodifiableMap(DeviceType::code, t -> t));

    public static Optional<DeviceType> fromCode(String code) {
        return code == null ? Optional.empty() : Optional.ofNullable(BY_CODE.get(code));
    }

    /** Human-readable model name, stored in {@code devices.model} (Alexa's additionalAttributes.model). */
    public String model() {
        return model;
    }

    public String alexaDisplayCategory() {
        return alexaDisplayCategory;
    }

    /** The properties in their display order. */
    public List<PropertyTemplate> properties() {
        return properties;
    }

    public Optional<PropertyTemplate> property(String name) {
        return properties.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    /**
     * The detection property of a contact or motion sensor, which can pulse (DETECTED now, NOT_DETECTED a
     * few seconds later: a momentary sensor, {@link Device#momentary()}); empty for the other types.
     */
    public Optional<Detection> detection() {
        return switch (this) {
            case CONTACT_SENSOR -> Optional.of(new Detection("contact", "open", "closed"));
            case MOTION_SENSOR -> Optional.of(new Detection("motion", "detected", "not_detected"));
            default -> Optional.empty();
        };
    }

    /**
     * A sensor's detection property and its two stored values (Alexa's DETECTED and NOT_DETECTED).
     *
     * @param detected the value Alexa reports as DETECTED (for a contact sensor: open)
     * @param idle the value Alexa reports as NOT_DETECTED
     */
    public record Detection(String property, String detected, String idle) {}

    /** Sensors only report; switches, dimmers and doorbells can be operated. */
    public boolean isSensor() {
        return this == CONTACT_SENSOR || this == MOTION_SENSOR || this == TEMPERATURE_SENSOR;
    }

    int order(String propertyName) {
        for (int i = 0; i < properties.size(); i++) {
            if (properties.get(i).name().equals(propertyName)) {
                return i;
            }
        }
        return properties.size();
    }
}
