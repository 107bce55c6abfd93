package io.virtdevice.ifttt;

import io.virtdevice.devices.DeviceType;
import java.util.List;
import java.util.Optional;

/** The actions VirtDevice offers on IFTTT (shared/spec/ifttt.md §9), each a slug and its fields. */
enum IftttAction implements FieldOwner {
    TURN_DEVICE_ON("turn_device_on", Field.device(DeviceType.SWITCH, DeviceType.DIMMER)),
    TURN_DEVICE_OFF("turn_device_off", Field.device(DeviceType.SWITCH, DeviceType.DIMMER)),
    TOGGLE_DEVICE("toggle_device", Field.device(DeviceType.SWITCH, DeviceType.DIMMER)),
    SET_BRIGHTNESS("set_brightness", Field.device(DeviceType.DIMMER), Field.required("brightness", Field.Kind.BRIGHTNESS)),
    SET_SENSOR_STATE("set_sensor_state", Field.device(DeviceType.CONTACT_SENSOR, DeviceType.MOTION_SENSOR),
            Field.required("state", Field.Kind.STATE)),
    PRESS_DOORBELL("press_doorbell", Field.device(DeviceType.DOORBELL)),
    SET_TEMPERATURE("set_temperature", Field.device(DeviceType.TEMPERATURE_SENSOR),
            Field.required("temperature", Field.Kind.TEMPERATURE));

    private final String slug;
    private final List<Field> fields;

    IftttAction(String slug, Field... fields) {
        this.slug = slug;
        this.fields = List.of(fields);
    }

    @Override
    public String slug() {
        return slug;
    }

    @Override
    public List<Field> fields() {
        return fields;
    }

    static Optional<IftttAction> of(String slug) {
        return FieldOwner.of(IftttAction.class, slug);
    }
}
