package io.virtdevice.ifttt;

import io.virtdevice.devices.ChangeSource;
import io.virtdevice.devices.Device;
import io.virtdevice.devices.DeviceManagement;
import io.virtdevice.devices.DeviceType;
import io.virtdevice.platform.web.ApiProblem;
import java.math.BigDecimal;
import java.util.Map;
import org.springframework.stereotype.Service;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * Actions (shared/spec/ifttt.md §4.7): each changes a device through the devices module (source
 * {@code ifttt}, which logs it as {@code ifttt_action}). Values that can never work (an unknown or another
 * user's device, the wrong type, out of range) answer SKIP so IFTTT does not retry them.
 */
@Service
class IftttActions {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private final IftttFields fields;
    private final DeviceManagement devices;

    IftttActions(IftttFields fields, DeviceManagement devices) {
        this.fields = fields;
        this.devices = devices;
    }

    /** Runs the action; returns the id IFTTT gets back: the device's IFTTT id and its new version. */
    String run(IftttAction action, JsonNode body) {
        Map<String, String> values = fields.read(action.fields(), body.get("actionFields"), "actionFields",
                IftttError::skip);
        IftttFields.DeviceChoice choice = fields.device(action.field("device").orElseThrow(), values.get("device"));
        Device device = choice.device().orElseThrow(() -> IftttError.skip(choice.problem()));
        try {
            Device changed = switch (action) {
                case TURN_DEVICE_ON -> set(device, "power", JSON.booleanNode(true));
                case TURN_DEVICE_OFF -> set(device, "power", JSON.booleanNode(false));
                case TOGGLE_DEVICE -> devices.toggle(device.id(), "power", ChangeSource.IFTTT);
                case SET_BRIGHTNESS -> set(device, "brightness", JSON.numberNode(Integer.parseInt(values.get("brightness"))));
                case SET_SENSOR_STATE -> set(device, sensorProperty(device, values.get("state")),
                        JSON.stringNode(values.get("state")));
                case PRESS_DOORBELL -> devices.press(device.id(), ChangeSource.IFTTT);
                case SET_TEMPERATURE -> set(device, "temperature", JSON.numberNode(new BigDecimal(values.get("temperature"))));
            };
            return changed.iftttDeviceId() + "-v" + changed.version();
        } catch (ApiProblem e) {
            if (e.getStatusCode().is4xxClientError()) {
                throw IftttError.skip(e.getBody().getDetail() == null ? "This action cannot be done." : e.getBody().getDetail());
            }
            throw e;
        }
    }

    private Device set(Device device, String property, JsonNode value) {
        return devices.setProperties(device.id(), Map.of(property, value), null, ChangeSource.IFTTT);
    }

    private static String sensorProperty(Device device, String state) {
        boolean contact = state.equals("open") || state.equals("closed");
        if (device.type() == DeviceType.CONTACT_SENSOR && contact) {
            return "contact";
        }
        if (device.type() == DeviceType.MOTION_SENSOR && !contact) {
            return "motion";
        }
        throw IftttError.skip(device.type() == DeviceType.CONTACT_SENSOR
                ? "A contact sensor is open or closed."
                : "A motion sensor's state is detected or not_detected.");
    }
}
