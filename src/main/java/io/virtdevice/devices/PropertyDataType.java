package io.virtdevice.devices;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** The value types a device property can have; matches the database enum {@code property_data_type}. */
public enum PropertyDataType {
    BOOLEAN,
    INTEGER,
    FLOAT,
    STRING,
    /** A momentary event such as a doorbell press: the value is the ISO-8601 instant of the last one. */
    EVENT;

    @JsonValue
    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }

    static PropertyDataType fromCode(String code) {
        return valueOf(code.toUpperCase(Locale.ROOT));
    }
}
