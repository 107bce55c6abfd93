package io.virtdevice.devices;

import io.virtdevice.platform.web.ApiProblem;
import io.virtdevice.platform.web.ProblemTypes;
import java.math.BigDecimal;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.springframework.http.HttpStatus;

/**
 * A property value was refused. Nothing was written: a change to several properties is all or nothing.
 * {@link #reason()} lets protocol adapters map it (Alexa's VALUE_OUT_OF_RANGE, IFTTT's SKIP).
 */
public class InvalidPropertyValue extends ApiProblem {

    public enum Reason {
        UNKNOWN_PROPERTY,
        WRONG_TYPE,
        OUT_OF_RANGE,
        NOT_ALLOWED,
        TOO_LONG,
        MISSING_VALUE,
        NOT_SUPPORTED
    }

    private final String property;
    private final Reason reason;
    private final BigDecimal min;
    private final BigDecimal max;

    public InvalidPropertyValue(String property, Reason reason, String message) {
        this(property, reason, message, null, null);
    }

    InvalidPropertyValue(String property, Reason reason, String message, BigDecimal min, BigDecimal max) {
        super(HttpStatus.BAD_REQUEST, ProblemTypes.VALIDATION, "Invalid property value",
                shown(property) + ": " + message);
        this.property = property;
        this.reason = reason;
        this.min = min;
        this.max = max;
        getBody().setProperty("property", shown(property));
        getBody().setProperty("reason", reason.name().toLowerCase(Locale.ROOT));
        getBody().setProperty("errors", List.of(Map.of("field", shown(property), "message", message)));
    }

    public String property() {
        return property;
    }

    public Reason reason() {
        return reason;
    }

    /** The valid range for {@link Reason#OUT_OF_RANGE}, else null. */
    public BigDecimal min() {
        return min;
    }

    public BigDecimal max() {
        return max;
    }

    // Property names come from the caller: never echo more than a name's worth of them.
    private static String shown(String property) {
        return property.length() <= 64 ? property : property.substring(0, 64) + "…";
    }
}
