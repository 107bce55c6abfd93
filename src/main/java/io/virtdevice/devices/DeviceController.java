package io.virtdevice.devices;

import io.virtdevice.limits.RateLimiter;
import io.virtdevice.platform.security.CurrentUser;
import io.virtdevice.platform.web.ApiProblem;
import io.virtdevice.platform.web.PageLimit;
import io.virtdevice.platform.web.ProblemTypes;
import java.math.BigDecimal;
import java.net.URI;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;

/** The devices REST API and the public catalogue of device types. */
@RestController
@RequestMapping("/api/v1")
class DeviceController {

    private static final int DEFAULT_PAGE_SIZE = 50;

    private final DeviceManagement devices;
    private final RateLimiter limits;

    DeviceController(DeviceManagement devices, RateLimiter limits) {
        this.devices = devices;
        this.limits = limits;
    }

    /** The body of {@code POST /devices}; anything else in it (id, version, ...) is refused as unknown. */
    record CreateDeviceRequest(String name, String type, String friendlyName, String description, JsonNode momentary,
            JsonNode pulseSeconds) {}

    /**
     * The body of {@code PATCH /devices/{id}}: absent fields stay as they are; description null clears it;
     * {@code online}, {@code momentary} are booleans, {@code pulseSeconds} a whole number.
     */
    record EditDeviceRequest(JsonNode name, JsonNode friendlyName, JsonNode description, JsonNode online,
            JsonNode momentary, JsonNode pulseSeconds) {}

    record PropertyTemplateView(String name, PropertyDataType dataType, Object defaultValue, BigDecimal min,
            BigDecimal max, List<String> allowedValues, String unit, String unitProperty, String alexaInterface,
            String alexaPropertyName) {}

    record DeviceTypeView(DeviceType type, String model, String alexaDisplayCategory,
            List<PropertyTemplateView> properties) {}

    @GetMapping("/device-types")
    Map<String, List<DeviceTypeView>> deviceTypes() {
        return Map.of("items", Arrays.stream(DeviceType.values())
                .map(t -> new DeviceTypeView(t, t.model(), t.alexaDisplayCategory(), t.properties().stream()
                        .map(p -> new PropertyTemplateView(p.name(), p.dataType(),
                                PropertyValues.typed(p.dataType(), p.defaultValue()), p.min(), p.max(),
                                p.allowedValues(), p.unit(), p.unitProperty(), p.alexaInterface(),
                                p.alexaPropertyName()))
                        .toList()))
                .toList());
    }

    @PostMapping("/devices")
    ResponseEntity<Device> create(@RequestBody CreateDeviceRequest body, @AuthenticationPrincipal CurrentUser user) {
        if (body.type() == null) {
            throw ApiProblem.invalidField("type", "is required (" + typeCodes() + ").");
        }
        DeviceType type = parseType(body.type(), "type");
        Device device = devices.create(new NewDevice(body.name(), type, body.friendlyName(), body.description(),
                        bool("momentary", body.momentary()), seconds(body.pulseSeconds())),
                ChangeSource.of(user.source()));
        return ResponseEntity.created(URI.create("/api/v1/devices/" + device.id()))
                .eTag(Long.toString(device.version()))
                .body(device);
    }

    @GetMapping("/devices")
    DevicePage list(@RequestParam(required = false) String type, @RequestParam(required = false) String limit,
            @RequestParam(required = false) String cursor) {
        DeviceType filter = type == null || type.isEmpty() ? null : parseType(type, "type");
        return devices.list(filter, pageSize(limit), cursor);
    }

    @GetMapping("/devices/{id}")
    ResponseEntity<Device> get(@PathVariable UUID id) {
        return withETag(devices.get(id));
    }

    @PatchMapping("/devices/{id}")
    ResponseEntity<Device> edit(@PathVariable UUID id, @RequestBody EditDeviceRequest body,
            @RequestHeader(name = "If-Match", required = false) String ifMatch,
            @AuthenticationPrincipal CurrentUser user) {
        DeviceEdit edit = new DeviceEdit(
                requiredText("name", body.name()),
                requiredText("friendlyName", body.friendlyName()),
                body.description() == null ? null : Optional.ofNullable(optionalText("description", body.description())),
                bool("online", body.online()), bool("momentary", body.momentary()), seconds(body.pulseSeconds()));
        return withETag(devices.edit(id, edit, expectedVersion(ifMatch), ChangeSource.of(user.source())));
    }

    @DeleteMapping("/devices/{id}")
    ResponseEntity<Void> delete(@PathVariable UUID id,
            @RequestHeader(name = "If-Match", required = false) String ifMatch,
            @AuthenticationPrincipal CurrentUser user) {
        devices.delete(id, expectedVersion(ifMatch), ChangeSource.of(user.source()));
        return ResponseEntity.noContent().build();
    }

    @PutMapping("/devices/{id}/properties")
    ResponseEntity<Device> setProperties(@PathVariable UUID id, @RequestBody Map<String, JsonNode> values,
            @RequestHeader(name = "If-Match", required = false) String ifMatch,
            @AuthenticationPrincipal CurrentUser user) {
        limits.enforceChange(id);
        return withETag(devices.setProperties(id, values, expectedVersion(ifMatch), ChangeSource.of(user.source())));
    }

    @PostMapping("/devices/{id}/press")
    ResponseEntity<Device> press(@PathVariable UUID id, @AuthenticationPrincipal CurrentUser user) {
        limits.enforceChange(id);
        return withETag(devices.press(id, ChangeSource.of(user.source())));
    }

    @PostMapping("/devices/{id}/pulse")
    ResponseEntity<Device> pulse(@PathVariable UUID id, @AuthenticationPrincipal CurrentUser user) {
        limits.enforceChange(id);
        return withETag(devices.pulse(id, ChangeSource.of(user.source())));
    }

    private static ResponseEntity<Device> withETag(Device device) {
        return ResponseEntity.ok().eTag(Long.toString(device.version())).body(device);
    }

    static DeviceType parseType(String code, String parameter) {
        return DeviceType.fromCode(code).orElseThrow(() -> new ApiProblem(HttpStatus.BAD_REQUEST,
                ProblemTypes.VALIDATION, "Invalid request",
                parameter + ": must be one of " + typeCodes() + ".")
                .with("errors", List.of(Map.of("field", parameter, "message", "must be one of " + typeCodes() + "."))));
    }

    private static String typeCodes() {
        return Arrays.stream(DeviceType.values()).map(DeviceType::code).collect(Collectors.joining(", "));
    }

    static int pageSize(String limit) {
        return PageLimit.parse(limit, DEFAULT_PAGE_SIZE, DeviceManagement.MAX_PAGE_SIZE);
    }

    /**
     * The version an If-Match header names ({@code "3"}, {@code W/"3"} or {@code *}); a tag that cannot be
     * one of this device's versions can never match, so it is a 412 like any other stale tag.
     */
    private static Long expectedVersion(String ifMatch) {
        if (ifMatch == null || ifMatch.isBlank() || ifMatch.strip().equals("*")) {
            return null;
        }
        String tag = ifMatch.strip();
        if (tag.startsWith("W/")) {
            tag = tag.substring(2);
        }
        if (tag.length() >= 2 && tag.startsWith("\"") && tag.endsWith("\"")) {
            tag = tag.substring(1, tag.length() - 1);
        }
        try {
            return Long.parseLong(tag);
        } catch (NumberFormatException e) {
            return -1L;
        }
    }

    private static String requiredText(String field, JsonNode node) {
        if (node == null) {
            return null;
        }
        if (!node.isString()) {
            throw ApiProblem.invalidField(field, node.isNull() ? "must not be null." : "must be a string.");
        }
        return node.stringValue();
    }

    private static Boolean bool(String field, JsonNode node) {
        if (node == null) {
            return null;
        }
        if (!node.isBoolean()) {
            throw ApiProblem.invalidField(field, "must be true or false.");
        }
        return node.booleanValue();
    }

    private static Integer seconds(JsonNode node) {
        if (node == null) {
            return null;
        }
        if (!node.isIntegralNumber() || !node.canConvertToInt() || node.intValue() < 1
                || node.intValue() > DeviceManagement.PULSE_SECONDS_MAX) {
            throw ApiProblem.invalidField("pulseSeconds", "must be a whole number of seconds from 1 to "
                    + DeviceManagement.PULSE_SECONDS_MAX + ".");
        }
        return node.intValue();
    }

    private static String optionalText(String field, JsonNode node) {
        if (node.isNull()) {
            return null;
        }
        if (!node.isString()) {
            throw ApiProblem.invalidField(field, "must be a string or null.");
        }
        return node.stringValue();
    }
}
