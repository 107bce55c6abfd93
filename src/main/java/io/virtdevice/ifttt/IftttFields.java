package io.virtdevice.ifttt;

import io.virtdevice.devices.Device;
import io.virtdevice.devices.DeviceManagement;
import io.virtdevice.devices.DevicePage;
import io.virtdevice.devices.DeviceRef;
import io.virtdevice.devices.DeviceType;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;

/**
 * Reads and checks trigger, action and query fields, lists their dynamic options and answers their dynamic
 * validation. Devices are looked up and listed through the devices module, in the request's tenant
 * context: another user's device is indistinguishable from one that does not exist.
 */
@Component
class IftttFields {

    static final String NO_SUCH_DEVICE = "This device does not exist (any more) in your VirtDevice account.";

    /** The most devices a dropdown lists. */
    static final int MAX_OPTIONS = 1000;

    static final BigDecimal TEMPERATURE_MIN = new BigDecimal("-273.15");
    static final BigDecimal TEMPERATURE_MAX = new BigDecimal("1000");

    /** A checked device field: the device, or why it cannot be used. */
    record DeviceChoice(Optional<Device> device, String problem) {}

    private final DeviceManagement devices;

    IftttFields(DeviceManagement devices) {
        this.devices = devices;
    }

    /**
     * The string values of {@code fields} from the request's {@code triggerFields}/{@code actionFields}/
     * {@code queryFields} object; keys IFTTT adds that we do not know are ignored. Blank optional fields are
     * left out.
     *
     * @param wrapper the object's name, for the message when it is missing
     * @param refusal how to refuse: a plain 400 (triggers, queries) or a SKIP (actions)
     */
    Map<String, String> read(List<Field> fields, JsonNode object, String wrapper,
            Function<String, IftttError> refusal) {
        if (object == null || !object.isObject()) {
            throw IftttError.badRequest(wrapper + " is missing; send it as an object.");
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (Field field : fields) {
            JsonNode node = object.get(field.name());
            String value = node == null || node.isNull() ? "" : scalar(node, field, refusal).strip();
            if (value.isEmpty()) {
                if (field.required()) {
                    throw refusal.apply("The field " + field.name() + " is required.");
                }
                continue;
            }
            problem(field, value).ifPresent(p -> {
                throw refusal.apply(p);
            });
            values.put(field.name(), normalized(field, value));
        }
        return values;
    }

    private static String scalar(JsonNode node, Field field, Function<String, IftttError> refusal) {
        if (node.isString()) {
            return node.stringValue();
        }
        if (node.isNumber() || node.isBoolean()) {
            return node.asString();
        }
        throw refusal.apply("The field " + field.name() + " must be text.");
    }

    /** Why a non-empty value of a non-device field is unacceptable, if it is. */
    Optional<String> problem(Field field, String value) {
        return switch (field.kind()) {
            case DEVICE -> value.length() > 64 ? Optional.of("That is not a VirtDevice device.") : Optional.empty();
            case PROPERTY -> Field.PROPERTIES.contains(value)
                    ? Optional.empty()
                    : Optional.of("Unknown property; use one of " + String.join(", ", Field.PROPERTIES) + ".");
            case STATE -> Field.SENSOR_STATES.contains(value)
                    ? Optional.empty()
                    : Optional.of("Unknown state; use one of " + String.join(", ", Field.SENSOR_STATES) + ".");
            case TYPE -> DeviceType.fromCode(value).isPresent()
                    ? Optional.empty()
                    : Optional.of("Unknown device type.");
            case BRIGHTNESS -> integer(value).filter(b -> b >= 0 && b <= 100).isPresent()
                    ? Optional.empty()
                    : Optional.of("Brightness must be a whole number from 0 to 100.");
            case THRESHOLD, TEMPERATURE -> decimal(value)
                    .filter(t -> t.compareTo(TEMPERATURE_MIN) >= 0 && t.compareTo(TEMPERATURE_MAX) <= 0).isPresent()
                    ? Optional.empty()
                    : Optional.of("The temperature must be a number from -273.15 to 1000.");
        };
    }

    private static String normalized(Field field, String value) {
        return switch (field.kind()) {
            case THRESHOLD, TEMPERATURE -> decimal(value).orElseThrow().toPlainString();
            case BRIGHTNESS -> Integer.toString(integer(value).orElseThrow());
            default -> value;
        };
    }

    /** The device a device field names, if it is the context user's and of a type the field takes. */
    DeviceChoice device(Field field, String iftttDeviceId) {
        Optional<Device> device = iftttDeviceId.length() > 64
                ? Optional.empty()
                : devices.findByIftttDeviceId(iftttDeviceId);
        if (device.isEmpty()) {
            return new DeviceChoice(Optional.empty(), NO_SUCH_DEVICE);
        }
        if (!field.deviceTypes().contains(device.get().type())) {
            return new DeviceChoice(Optional.empty(), wrongType(field, device.get().type()));
        }
        return new DeviceChoice(device, null);
    }

    /**
     * The device a trigger poll reads, if it is the context user's and of a type the field takes: its identity
     * only, in one statement (a poll needs no properties).
     */
    Optional<DeviceRef> pollable(Field field, String iftttDeviceId) {
        if (iftttDeviceId.length() > 64) {
            return Optional.empty();
        }
        return devices.refByIftttDeviceId(iftttDeviceId).filter(d -> field.deviceTypes().contains(d.type()));
    }

    String wrongType(Field field, DeviceType type) {
        return "This device is a " + label(type) + "; choose a "
                + String.join(" or ", field.deviceTypes().stream().sorted().map(IftttFields::label).toList()) + ".";
    }

    /** The dropdown entries of a field: {@code [{"label":..,"value":..}]}. */
    List<Map<String, String>> options(Field field) {
        return switch (field.kind()) {
            case DEVICE -> deviceOptions(field);
            case PROPERTY -> Field.PROPERTIES.stream().map(p -> option(p.replace('_', ' '), p)).toList();
            case STATE -> Field.SENSOR_STATES.stream().map(s -> option(s.replace('_', ' '), s)).toList();
            case TYPE -> java.util.Arrays.stream(DeviceType.values()).map(t -> option(label(t), t.code())).toList();
            default -> List.of();
        };
    }

    private List<Map<String, String>> deviceOptions(Field field) {
        List<Map<String, String>> options = new ArrayList<>();
        boolean all = field.deviceTypes().containsAll(EnumSet.allOf(DeviceType.class));
        List<DeviceType> types = all ? java.util.Collections.singletonList(null)
                : field.deviceTypes().stream().sorted().toList();
        for (DeviceType type : types) {
            String cursor = null;
            do {
                DevicePage page = devices.list(type, DeviceManagement.MAX_PAGE_SIZE, cursor);
                page.items().forEach(d -> options.add(option(d.name(), d.iftttDeviceId())));
                cursor = page.nextCursor();
            } while (cursor != null && options.size() < MAX_OPTIONS);
        }
        options.sort(java.util.Comparator.comparing((Map<String, String> o) -> o.get("label").toLowerCase(Locale.ROOT)));
        return options.size() > MAX_OPTIONS ? options.subList(0, MAX_OPTIONS) : options;
    }

    /** Dynamic validation: never an error, an answer (shared/spec/ifttt.md §4.6). */
    Map<String, Object> validate(Field field, JsonNode value) {
        String text = value == null || value.isNull() ? "" : value.isString() ? value.stringValue().strip()
                : value.isNumber() || value.isBoolean() ? value.asString() : null;
        if (text == null) {
            return invalid("Enter text.");
        }
        if (text.isEmpty()) {
            return field.required() ? invalid("This field is required.") : Map.of("valid", true);
        }
        Optional<String> problem = problem(field, text);
        if (problem.isEmpty() && field.kind() == Field.Kind.DEVICE) {
            problem = Optional.ofNullable(device(field, text).problem());
        }
        return problem.map(IftttFields::invalid).orElseGet(() -> Map.of("valid", true));
    }

    private static Map<String, Object> invalid(String message) {
        return Map.of("valid", false, "message", message);
    }

    static Map<String, String> option(String label, String value) {
        Map<String, String> option = new LinkedHashMap<>();
        option.put("label", label);
        option.put("value", value);
        return option;
    }

    static String label(DeviceType type) {
        return type.code().replace('_', ' ');
    }

    private static Optional<Integer> integer(String value) {
        if (!value.matches("-?[0-9]{1,9}")) {
            return Optional.empty();
        }
        return Optional.of(Integer.parseInt(value));
    }

    private static Optional<BigDecimal> decimal(String value) {
        if (!value.matches("-?[0-9]{1,7}(\\.[0-9]{1,6})?")) {
            return Optional.empty();
        }
        return Optional.of(new BigDecimal(value));
    }
}
