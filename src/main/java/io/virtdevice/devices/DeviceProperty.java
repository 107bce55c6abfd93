package io.virtdevice.devices;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

/**
 * One property of a device with its current value and the rules it is checked against.
 *
 * @param value the typed value: Boolean, Long, Double or String (an event's value is the ISO-8601 instant of
 *     the last occurrence), or null
 * @param unit the unit of the value; for a temperature, the current value of the device's {@code unit}
 * @param lastChangedBy the source of the last change (web, api, alexa, ifttt, trigger, system)
 */
public record DeviceProperty(
        Object value,
        PropertyDataType dataType,
        String unit,
        BigDecimal min,
        BigDecimal max,
        List<String> allowedValues,
        String lastChangedBy,
        Instant lastChangedAt,
        @JsonIgnore String alexaInterface,
        @JsonIgnore String alexaPropertyName) {

    DeviceProperty withUnit(String newUnit) {
        return new DeviceProperty(value, dataType, newUnit, min, max, allowedValues, lastChangedBy, lastChangedAt,
                alexaInterface, alexaPropertyName);
    }
}
