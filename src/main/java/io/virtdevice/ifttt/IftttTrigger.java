package io.virtdevice.ifttt;

import io.virtdevice.devices.DeviceType;
import java.math.BigDecimal;
import java.util.List;
import java.util.Optional;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * The triggers VirtDevice offers on IFTTT (shared/spec/ifttt.md §9), each a slug, its fields, and the
 * {@link ChangeRule} that picks its events out of the device's change history. Field values arrive checked
 * ({@link IftttFields}); {@link #rule} only reads them.
 */
enum IftttTrigger implements FieldOwner {
    DEVICE_TURNED_ON("device_turned_on", "Device turned on", Field.device(DeviceType.SWITCH, DeviceType.DIMMER)),
    DEVICE_TURNED_OFF("device_turned_off", "Device turned off", Field.device(DeviceType.SWITCH, DeviceType.DIMMER)),
    PROPERTY_CHANGED("property_changed", "Property changed", Field.device(DeviceType.values()),
            Field.optional("property", Field.Kind.PROPERTY)),
    SENSOR_STATE_CHANGED("sensor_state_changed", "Sensor state changed",
            Field.device(DeviceType.CONTACT_SENSOR, DeviceType.MOTION_SENSOR), Field.optional("state", Field.Kind.STATE)),
    DOORBELL_PRESSED("doorbell_pressed", "Doorbell pressed", Field.device(DeviceType.DOORBELL)),
    TEMPERATURE_ABOVE("temperature_above", "Temperature above threshold", Field.device(DeviceType.TEMPERATURE_SENSOR),
            Field.required("threshold", Field.Kind.THRESHOLD)),
    TEMPERATURE_BELOW("temperature_below", "Temperature below threshold", Field.device(DeviceType.TEMPERATURE_SENSOR),
            Field.required("threshold", Field.Kind.THRESHOLD));

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private final String slug;
    private final String title;
    private final List<Field> fields;

    IftttTrigger(String slug, String title, Field... fields) {
        this.slug = slug;
        this.title = title;
        this.fields = List.of(fields);
    }

    /** The trigger's name as the IFTTT platform lists it. */
    String title() {
        return title;
    }

    /**
     * When the trigger fires, in words, for stored field values ({@code device} already replaced by the
     * device's name): "Lamp turns on", "Front door opens", "Hall temperature rises above 25".
     */
    String describe(String device, java.util.Map<String, String> values) {
        String property = blankToNull(values.get("property"));
        String state = blankToNull(values.get("state"));
        return switch (this) {
            case DEVICE_TURNED_ON -> device + " turns on";
            case DEVICE_TURNED_OFF -> device + " turns off";
            case PROPERTY_CHANGED -> property == null ? "any property of " + device + " changes"
                    : device + "’s " + property.replace('_', ' ') + " changes";
            case SENSOR_STATE_CHANGED -> state == null ? device + " changes state" : switch (state) {
                case "open" -> device + " opens";
                case "closed" -> device + " closes";
                case "detected" -> device + " detects motion";
                case "not_detected" -> device + " stops detecting motion";
                default -> device + " becomes " + state.replace('_', ' ');
            };
            case DOORBELL_PRESSED -> device + " is pressed";
            case TEMPERATURE_ABOVE -> device + " rises above " + values.getOrDefault("threshold", "?") + "°";
            case TEMPERATURE_BELOW -> device + " falls below " + values.getOrDefault("threshold", "?") + "°";
        };
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }

    @Override
    public String slug() {
        return slug;
    }

    @Override
    public List<Field> fields() {
        return fields;
    }

    static Optional<IftttTrigger> of(String slug) {
        return FieldOwner.of(IftttTrigger.class, slug);
    }

    /** The rule for checked field values (blank optional fields are absent from {@code values}). */
    ChangeRule rule(java.util.Map<String, String> values) {
        return switch (this) {
            case DEVICE_TURNED_ON -> new ChangeRule(List.of("power"), ChangeRule.Condition.EQUALS, JSON.booleanNode(true));
            case DEVICE_TURNED_OFF -> new ChangeRule(List.of("power"), ChangeRule.Condition.EQUALS, JSON.booleanNode(false));
            case PROPERTY_CHANGED -> ChangeRule.any(values.containsKey("property") ? List.of(values.get("property")) : List.of());
            case SENSOR_STATE_CHANGED -> values.containsKey("state")
                    ? new ChangeRule(List.of("contact", "motion"), ChangeRule.Condition.EQUALS,
                            JSON.stringNode(values.get("state")))
                    : ChangeRule.any(List.of("contact", "motion"));
            case DOORBELL_PRESSED -> ChangeRule.any(List.of("press"));
            case TEMPERATURE_ABOVE -> new ChangeRule(List.of("temperature"), ChangeRule.Condition.RISES_ABOVE,
                    JSON.numberNode(new BigDecimal(values.get("threshold"))));
            case TEMPERATURE_BELOW -> new ChangeRule(List.of("temperature"), ChangeRule.Condition.FALLS_BELOW,
                    JSON.numberNode(new BigDecimal(values.get("threshold"))));
        };
    }
}
