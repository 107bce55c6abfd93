package io.virtdevice.devices;

import io.virtdevice.devices.InvalidPropertyValue.Reason;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Locale;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * Property values between their three forms: the caller's JSON, the canonical text stored in
 * {@code device_properties.value} (which the column's CHECK re-validates), and the typed Java value the
 * API returns.
 */
final class PropertyValues {

    /** The database's limit on a stored value. */
    static final int MAX_BYTES = 1024;

    // The column CHECK allows at most 15 fraction digits for floats.
    private static final int MAX_FRACTION_DIGITS = 15;
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private PropertyValues() {}

    /**
     * Validates a JSON value against a property's rules and returns its stored form; {@code now} is the
     * value an event takes.
     */
    static String toStored(String name, DeviceProperty rules, JsonNode value, Instant now) {
        if (value == null || value.isNull() || value.isMissingNode()) {
            throw new InvalidPropertyValue(name, Reason.WRONG_TYPE, "must not be null.");
        }
        return switch (rules.dataType()) {
            case BOOLEAN -> {
                if (!value.isBoolean()) {
                    throw new InvalidPropertyValue(name, Reason.WRONG_TYPE, "must be true or false.");
                }
                yield Boolean.toString(value.booleanValue());
            }
            case INTEGER -> {
                if (!value.isIntegralNumber()) {
                    throw new InvalidPropertyValue(name, Reason.WRONG_TYPE, "must be a whole number.");
                }
                yield inRange(name, rules, new BigDecimal(value.bigIntegerValue())).toPlainString();
            }
            case FLOAT -> {
                if (!value.isNumber()) {
                    throw new InvalidPropertyValue(name, Reason.WRONG_TYPE, "must be a number.");
                }
                yield decimal(inRange(name, rules, value.decimalValue()));
            }
            case STRING -> {
                if (!value.isString()) {
                    throw new InvalidPropertyValue(name, Reason.WRONG_TYPE, "must be a string.");
                }
                yield text(name, rules, value.stringValue());
            }
            case EVENT -> {
                if (!value.isBoolean() || !value.booleanValue()) {
                    throw new InvalidPropertyValue(name, Reason.WRONG_TYPE,
                            "is an event: the only value it accepts is true (to trigger it).");
                }
                yield now.toString();
            }
        };
    }

    /** The typed value of a stored one. */
    static Object typed(PropertyDataType type, String stored) {
        if (stored == null) {
            return null;
        }
        return switch (type) {
            case BOOLEAN -> Boolean.valueOf(stored);
            case INTEGER -> Long.valueOf(stored);
            case FLOAT -> Double.valueOf(stored);
            case STRING, EVENT -> stored;
        };
    }

    /**
     * A value that arrived as text (a query string, a form field, a stored trigger action) as the JSON value
     * of the property's type; text that cannot be one is refused here with a message naming the forms.
     */
    static JsonNode fromText(String name, PropertyDataType type, String text) {
        String t = text.strip();
        return switch (type) {
            case BOOLEAN -> switch (t.toLowerCase(Locale.ROOT)) {
                case "true", "on", "1" -> NODES.booleanNode(true);
                case "false", "off", "0" -> NODES.booleanNode(false);
                default -> throw new InvalidPropertyValue(name, Reason.WRONG_TYPE,
                        "must be one of true, false, on, off, 1, 0.");
            };
            case INTEGER -> {
                try {
                    if (t.length() > 64) {
                        throw new NumberFormatException();
                    }
                    yield NODES.numberNode(new java.math.BigInteger(t));
                } catch (NumberFormatException e) {
                    throw new InvalidPropertyValue(name, Reason.WRONG_TYPE, "must be a whole number.");
                }
            }
            case FLOAT -> {
                try {
                    if (t.length() > 64) {
                        throw new NumberFormatException();
                    }
                    yield NODES.numberNode(new BigDecimal(t));
                } catch (NumberFormatException e) {
                    throw new InvalidPropertyValue(name, Reason.WRONG_TYPE, "must be a number.");
                }
            }
            case STRING -> NODES.stringNode(text);
            case EVENT -> {
                if (!t.equalsIgnoreCase("true") && !t.equals("1")) {
                    throw new InvalidPropertyValue(name, Reason.WRONG_TYPE,
                            "is an event: the only value it accepts is true (to trigger it).");
                }
                yield NODES.booleanNode(true);
            }
        };
    }

    private static BigDecimal inRange(String name, DeviceProperty rules, BigDecimal number) {
        boolean below = rules.min() != null && number.compareTo(rules.min()) < 0;
        boolean above = rules.max() != null && number.compareTo(rules.max()) > 0;
        if (below || above) {
            String range = rules.min() == null ? "at most " + plain(rules.max())
                    : rules.max() == null ? "at least " + plain(rules.min())
                    : "between " + plain(rules.min()) + " and " + plain(rules.max());
            throw new InvalidPropertyValue(name, Reason.OUT_OF_RANGE, "must be " + range + ".", rules.min(),
                    rules.max());
        }
        return number;
    }

    private static String decimal(BigDecimal number) {
        BigDecimal d = number.scale() > MAX_FRACTION_DIGITS
                ? number.setScale(MAX_FRACTION_DIGITS, RoundingMode.HALF_EVEN)
                : number;
        d = d.stripTrailingZeros();
        if (d.scale() < 1) {
            d = d.setScale(1);
        }
        return d.toPlainString();
    }

    private static String text(String name, DeviceProperty rules, String value) {
        if (value.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
            throw new InvalidPropertyValue(name, Reason.TOO_LONG, "must be at most " + MAX_BYTES + " bytes.");
        }
        if (value.indexOf('\0') >= 0) {
            throw new InvalidPropertyValue(name, Reason.WRONG_TYPE, "must not contain NUL characters.");
        }
        if (rules.allowedValues() != null && !rules.allowedValues().contains(value)) {
            throw new InvalidPropertyValue(name, Reason.NOT_ALLOWED,
                    "must be one of " + String.join(", ", rules.allowedValues()) + ".");
        }
        return value;
    }

    private static String plain(BigDecimal number) {
        return number.stripTrailingZeros().toPlainString();
    }
}
