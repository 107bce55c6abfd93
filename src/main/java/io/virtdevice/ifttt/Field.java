package io.virtdevice.ifttt;

import io.virtdevice.devices.DeviceType;
import java.util.List;
import java.util.Set;

/**
 * One trigger, action or query field as configured on the IFTTT platform (the slug must match), with what
 * its dynamic options list and what its validation accepts.
 *
 * @param deviceTypes for a {@link Kind#DEVICE} field, the device types it offers (empty otherwise)
 */
record Field(String name, Kind kind, boolean required, Set<DeviceType> deviceTypes) {

    enum Kind {
        /** A device of the user's, by its IFTTT device id (a dynamic dropdown). */
        DEVICE,
        /** A property name (power, brightness, contact, ...). */
        PROPERTY,
        /** A sensor state: open, closed, detected, not_detected. */
        STATE,
        /** A temperature threshold, a decimal number. */
        THRESHOLD,
        /** A brightness 0-100, as IFTTT sends it: a string. */
        BRIGHTNESS,
        /** A temperature to set, a decimal number. */
        TEMPERATURE,
        /** A device type code (the query's optional filter). */
        TYPE
    }

    static final List<String> PROPERTIES = List.of("power", "brightness", "contact", "motion", "temperature", "unit",
            "press");
    static final List<String> SENSOR_STATES = List.of("open", "closed", "detected", "not_detected");

    Field {
        deviceTypes = Set.copyOf(deviceTypes);
    }

    static Field device(DeviceType... types) {
        return new Field("device", Kind.DEVICE, true, Set.of(types));
    }

    static Field required(String name, Kind kind) {
        return new Field(name, kind, true, Set.of());
    }

    static Field optional(String name, Kind kind) {
        return new Field(name, kind, false, Set.of());
    }

    /** Dynamic validation exists for these (IFTTT's "text field with validation"). */
    boolean validatable() {
        return kind == Kind.DEVICE || kind == Kind.PROPERTY || kind == Kind.THRESHOLD || kind == Kind.STATE;
    }
}
