package io.virtdevice.ifttt;

import io.virtdevice.limits.RateLimiter;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.virtdevice.devices.ChangeSource;
import io.virtdevice.devices.Device;
import io.virtdevice.devices.DeviceManagement;
import io.virtdevice.devices.DeviceNotFound;
import io.virtdevice.devices.DeviceType;
import io.virtdevice.platform.security.CurrentUser;
import io.virtdevice.platform.web.ApiProblem;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.springframework.stereotype.Service;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * Actions (shared/spec/ifttt.md §4.7): each changes a device through the devices module (source
 * {@code ifttt}, which logs it as {@code ifttt_action}) in one transaction: the device's type is checked on
 * the row the change locks, so an action costs what a REST change costs. Values that can never work (an
 * unknown or another user's device, the wrong type, out of range) answer SKIP so IFTTT does not retry them.
 */
@Service
class IftttActions {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private final IftttFields fields;
    private final DeviceManagement devices;
    private final RateLimiter limits;

    /**
     * (user, IFTTT device id) → device id. The pair never changes once made; a deleted device is refused by
     * the change itself (not found) and dropped from here. Keyed by user, and RLS checks every change anyway.
     */
    private final Cache<String, UUID> ids = Caffeine.newBuilder().maximumSize(100_000)
            .expireAfterAccess(Duration.ofMinutes(30)).build();

    IftttActions(IftttFields fields, DeviceManagement devices, RateLimiter limits) {
        this.limits = limits;
        this.fields = fields;
        this.devices = devices;
    }

    /** Runs the action; returns the id IFTTT gets back: the device's IFTTT id and its new version. */
    String run(CurrentUser user, IftttAction action, JsonNode body) {
        Map<String, String> values = fields.read(action.fields(), body.get("actionFields"), "actionFields",
                IftttError::skip);
        Field deviceField = action.field("device").orElseThrow();
        String key = user.userId() + "/" + values.get("device");
        UUID id = ids.getIfPresent(key);
        if (id == null) {
            IftttFields.DeviceChoice choice = fields.device(deviceField, values.get("device"));
            Device device = choice.device().orElseThrow(() -> IftttError.skip(choice.problem()));
            id = device.id();
            ids.put(key, id);
        }
        // refused as IFTTT's 429 with Retry-After (IftttExceptionHandler), which IFTTT retries later
        limits.enforceChange(id);
        try {
            // a pulse is the devices module's own operation (it schedules the durable reset); it refuses other
            // types with a 400, which becomes a SKIP below
            Device changed = action == IftttAction.PULSE_SENSOR
                    ? devices.pulse(id, ChangeSource.IFTTT)
                    : devices.changeProperties(id, ChangeSource.IFTTT, device -> {
                        if (!deviceField.deviceTypes().contains(device.type())) {
                            throw IftttError.skip(fields.wrongType(deviceField, device.type()));
                        }
                        return change(action, device, values);
                    });
            return changed.iftttDeviceId() + "-v" + changed.version();
        } catch (DeviceNotFound e) {
            ids.invalidate(key);
            throw IftttError.skip(IftttFields.NO_SUCH_DEVICE);
        } catch (ApiProblem e) {
            if (e.getStatusCode().is4xxClientError()) {
                throw IftttError.skip(e.getBody().getDetail() == null ? "This action cannot be done." : e.getBody().getDetail());
            }
            throw e;
        }
    }

    /** The values to set, computed on the locked device. */
    private static Map<String, JsonNode> change(IftttAction action, Device device, Map<String, String> values) {
        return switch (action) {
            case TURN_DEVICE_ON -> Map.of("power", JSON.booleanNode(true));
            case TURN_DEVICE_OFF -> Map.of("power", JSON.booleanNode(false));
            case TOGGLE_DEVICE -> Map.of("power", JSON.booleanNode(!Boolean.TRUE.equals(device.value("power"))));
            case SET_BRIGHTNESS -> Map.of("brightness", JSON.numberNode(Integer.parseInt(values.get("brightness"))));
            case SET_SENSOR_STATE -> Map.of(sensorProperty(device, values.get("state")), JSON.stringNode(values.get("state")));
            case PRESS_DOORBELL -> Map.of("press", JSON.booleanNode(true));
            case PULSE_SENSOR -> throw new IllegalStateException("a pulse is not a property change");
            case SET_TEMPERATURE -> Map.of("temperature", JSON.numberNode(new BigDecimal(values.get("temperature"))));
        };
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
