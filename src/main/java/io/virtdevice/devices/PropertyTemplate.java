package io.virtdevice.devices;

import java.math.BigDecimal;
import java.util.List;

/**
 * One property a device type is created with; copied into {@code device_properties} at creation, so the
 * rows, not this template, are what a device's values are checked against afterwards.
 *
 * @param defaultValue the stored (string) form of the initial value, or null
 * @param unitProperty for a measurement whose unit is itself a property (temperature), that property's name
 * @param alexaInterface the Alexa capability interface that carries this property, if any
 * @param alexaPropertyName the property name inside that interface (null for event sources)
 */
public record PropertyTemplate(
        String name,
        PropertyDataType dataType,
        String defaultValue,
        BigDecimal min,
        BigDecimal max,
        List<String> allowedValues,
        String unit,
        String unitProperty,
        String alexaInterface,
        String alexaPropertyName) {

    static PropertyTemplate bool(String name, boolean initial, String alexaInterface, String alexaName) {
        return new PropertyTemplate(name, PropertyDataType.BOOLEAN, Boolean.toString(initial), null, null, null,
                null, null, alexaInterface, alexaName);
    }

    static PropertyTemplate integer(String name, long initial, long min, long max, String unit,
            String alexaInterface, String alexaName) {
        return new PropertyTemplate(name, PropertyDataType.INTEGER, Long.toString(initial), BigDecimal.valueOf(min),
                BigDecimal.valueOf(max), null, unit, null, alexaInterface, alexaName);
    }

    static PropertyTemplate decimal(String name, String initial, String min, String max, String unitProperty,
            String alexaInterface, String alexaName) {
        return new PropertyTemplate(name, PropertyDataType.FLOAT, initial, new BigDecimal(min), new BigDecimal(max),
                null, null, unitProperty, alexaInterface, alexaName);
    }

    static PropertyTemplate choice(String name, String initial, List<String> allowed, String alexaInterface,
            String alexaName) {
        return new PropertyTemplate(name, PropertyDataType.STRING, initial, null, null, List.copyOf(allowed), null,
                null, alexaInterface, alexaName);
    }

    static PropertyTemplate event(String name, String alexaInterface) {
        return new PropertyTemplate(name, PropertyDataType.EVENT, null, null, null, null, null, null, alexaInterface,
                null);
    }
}
