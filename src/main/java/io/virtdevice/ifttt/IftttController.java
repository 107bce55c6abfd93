package io.virtdevice.ifttt;

import io.virtdevice.accounts.AccountManagement;
import io.virtdevice.devices.Device;
import io.virtdevice.devices.DeviceManagement;
import io.virtdevice.devices.DevicePage;
import io.virtdevice.devices.DeviceProperty;
import io.virtdevice.devices.DeviceType;
import io.virtdevice.platform.security.CurrentUser;
import io.virtdevice.platform.web.WebSettings;
import jakarta.servlet.http.HttpServletRequest;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * IFTTT's Service API, {@code /ifttt/v1/...} (shared/spec/ifttt.md §3). The security chain lets only IFTTT's
 * access tokens in (and binds the user's tenant context), except {@code /status} and {@code /test/setup},
 * which carry the service key instead. Bodies are read as raw JSON so that any content type, unknown keys
 * and malformed input get IFTTT's answers rather than the framework's.
 */
@RestController
@RequestMapping("/ifttt/v1")
class IftttController {

    static final String QUERY_LIST_DEVICES = "list_devices";
    static final List<Field> QUERY_FIELDS = List.of(Field.optional("type", Field.Kind.TYPE));

    private final ServiceKey serviceKey;
    private final IftttTriggers triggers;
    private final IftttActions actions;
    private final IftttFields fields;
    private final IftttTestSetup testSetup;
    private final DeviceManagement devices;
    private final AccountManagement accounts;
    private final WebSettings web;
    private final JdbcClient jdbc;
    private final JsonMapper json;

    IftttController(ServiceKey serviceKey, IftttTriggers triggers, IftttActions actions, IftttFields fields,
            IftttTestSetup testSetup, DeviceManagement devices, AccountManagement accounts, WebSettings web,
            JdbcClient jdbc, JsonMapper json) {
        this.serviceKey = serviceKey;
        this.triggers = triggers;
        this.actions = actions;
        this.fields = fields;
        this.testSetup = testSetup;
        this.devices = devices;
        this.accounts = accounts;
        this.web = web;
        this.jdbc = jdbc;
        this.json = json;
    }

    // ---------------------------------------------------------------------------------------------
    // service key
    // ---------------------------------------------------------------------------------------------

    /** 200 when the service and its database answer, 503 otherwise (§4.1). */
    @GetMapping("/status")
    ResponseEntity<Map<String, Object>> status(HttpServletRequest request) {
        serviceKey.check(request);
        jdbc.sql("select 1").query(Integer.class).single();
        return ok(Map.of());
    }

    @PostMapping("/test/setup")
    ResponseEntity<Map<String, Object>> testSetup(HttpServletRequest request) {
        serviceKey.check(request);
        return ok(Map.of("data", testSetup.setUp()));
    }

    // ---------------------------------------------------------------------------------------------
    // IFTTT's access token
    // ---------------------------------------------------------------------------------------------

    @GetMapping("/user/info")
    ResponseEntity<Map<String, Object>> userInfo(@AuthenticationPrincipal CurrentUser user) {
        String name = accounts.account(user).name();
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("id", user.userId().toString());
        info.put("name", name == null || name.isBlank() ? user.email() : name);
        info.put("url", web.publicBaseUrl().replaceAll("/+$", "") + "/dashboard");
        return ok(Map.of("data", info));
    }

    @PostMapping("/triggers/{slug}")
    ResponseEntity<Map<String, Object>> trigger(@PathVariable String slug, @RequestBody(required = false) byte[] body,
            @AuthenticationPrincipal CurrentUser user) {
        IftttTrigger trigger = IftttTrigger.of(slug).orElseThrow(() -> IftttError.notFound("Unknown trigger"));
        return ok(Map.of("data", triggers.poll(user, trigger, object(body))));
    }

    @DeleteMapping("/triggers/{slug}/trigger_identity/{identity}")
    ResponseEntity<Map<String, Object>> forget(@PathVariable String slug, @PathVariable String identity,
            @AuthenticationPrincipal CurrentUser user) {
        IftttTrigger trigger = IftttTrigger.of(slug).orElseThrow(() -> IftttError.notFound("Unknown trigger"));
        if (identity.length() <= IftttTriggers.MAX_IDENTITY_LENGTH) {
            triggers.forget(user, trigger, identity);
        }
        return ok(Map.of());
    }

    @PostMapping("/triggers/{slug}/fields/{field}/options")
    ResponseEntity<Map<String, Object>> triggerOptions(@PathVariable String slug, @PathVariable String field) {
        Field f = IftttTrigger.of(slug).flatMap(t -> t.field(field))
                .orElseThrow(() -> IftttError.notFound("Unknown trigger field"));
        return ok(Map.of("data", fields.options(f)));
    }

    @PostMapping("/triggers/{slug}/fields/{field}/validate")
    ResponseEntity<Map<String, Object>> validate(@PathVariable String slug, @PathVariable String field,
            @RequestBody(required = false) byte[] body) {
        Field f = IftttTrigger.of(slug).flatMap(t -> t.field(field)).filter(Field::validatable)
                .orElseThrow(() -> IftttError.notFound("Unknown trigger field"));
        return ok(Map.of("data", fields.validate(f, object(body).get("value"))));
    }

    @PostMapping("/actions/{slug}")
    ResponseEntity<Map<String, Object>> action(@PathVariable String slug, @RequestBody(required = false) byte[] body,
            @AuthenticationPrincipal CurrentUser user) {
        IftttAction action = IftttAction.of(slug).orElseThrow(() -> IftttError.notFound("Unknown action"));
        String id = actions.run(user, action, object(body));
        return ok(Map.of("data", List.of(Map.of("id", id))));
    }

    @PostMapping("/actions/{slug}/fields/{field}/options")
    ResponseEntity<Map<String, Object>> actionOptions(@PathVariable String slug, @PathVariable String field) {
        Field f = IftttAction.of(slug).flatMap(a -> a.field(field))
                .orElseThrow(() -> IftttError.notFound("Unknown action field"));
        return ok(Map.of("data", fields.options(f)));
    }

    /** The user's devices with their state, a page at a time (§4.8). */
    @PostMapping("/queries/{slug}")
    ResponseEntity<Map<String, Object>> query(@PathVariable String slug, @RequestBody(required = false) byte[] body) {
        if (!QUERY_LIST_DEVICES.equals(slug)) {
            throw IftttError.notFound("Unknown query");
        }
        JsonNode request = object(body);
        Map<String, String> values = fields.read(QUERY_FIELDS, request.get("queryFields"), "queryFields",
                IftttError::badRequest);
        int limit = Math.min(IftttTriggers.limit(request.get("limit")), DeviceManagement.MAX_PAGE_SIZE);
        if (limit == 0) {
            return ok(Map.of("data", List.of()));
        }
        JsonNode cursorNode = request.get("cursor");
        if (cursorNode != null && !cursorNode.isNull() && !cursorNode.isString()) {
            throw IftttError.badRequest("cursor must be text.");
        }
        String cursor = cursorNode == null || cursorNode.isNull() ? null : cursorNode.stringValue();
        DeviceType type = values.containsKey("type") ? DeviceType.fromCode(values.get("type")).orElseThrow() : null;
        DevicePage page = devices.list(type, limit, cursor);
        ZoneId zone = IftttTriggers.zone(request.path("user").path("timezone"));
        Map<String, Object> response = new LinkedHashMap<>();
        response.put("data", page.items().stream().map(d -> row(d, zone)).toList());
        if (page.nextCursor() != null) {
            response.put("cursor", page.nextCursor());
        }
        return ok(response);
    }

    @PostMapping("/queries/{slug}/fields/{field}/options")
    ResponseEntity<Map<String, Object>> queryOptions(@PathVariable String slug, @PathVariable String field) {
        Field f = QUERY_LIST_DEVICES.equals(slug)
                ? QUERY_FIELDS.stream().filter(q -> q.name().equals(field)).findFirst().orElse(null)
                : null;
        if (f == null) {
            throw IftttError.notFound("Unknown query field");
        }
        return ok(Map.of("data", fields.options(f)));
    }

    /** Anything else under /ifttt/v1: IFTTT's 404. */
    @RequestMapping("/**")
    ResponseEntity<Map<String, Object>> unknown() {
        throw IftttError.notFound("Not found");
    }

    // ---------------------------------------------------------------------------------------------

    private static Map<String, Object> row(Device device, ZoneId zone) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("device_id", device.iftttDeviceId());
        row.put("name", device.name());
        row.put("type", device.type().code());
        row.put("state", state(device));
        row.put("power", device.properties().containsKey("power")
                ? (Boolean.TRUE.equals(device.value("power")) ? "on" : "off")
                : "");
        row.put("brightness", text(device.value("brightness")));
        row.put("updated_at", IftttTriggers.dateTime(device.updatedAt(), zone));
        return row;
    }

    /** A one-line summary of the device's properties: {@code power: on, brightness: 40}. */
    private static String state(Device device) {
        StringBuilder state = new StringBuilder();
        for (Map.Entry<String, DeviceProperty> p : device.properties().entrySet()) {
            if (p.getKey().equals("press")) {
                continue;
            }
            Object value = p.getValue().value();
            state.append(state.isEmpty() ? "" : ", ").append(p.getKey()).append(": ")
                    .append(value instanceof Boolean b ? (b ? "on" : "off") : text(value));
        }
        return state.toString();
    }

    private static String text(Object value) {
        return value == null ? "" : value.toString();
    }

    /** The request body as a JSON object; a missing body reads as {} (options requests carry none). */
    private JsonNode object(byte[] body) {
        if (body == null || body.length == 0) {
            return json.createObjectNode();
        }
        JsonNode node;
        try {
            node = json.readTree(body);
        } catch (JacksonException e) {
            throw IftttError.badRequest("The request body is not valid JSON.");
        }
        if (node == null || !node.isObject()) {
            throw IftttError.badRequest("The request body must be a JSON object.");
        }
        return node;
    }

    private static <T> ResponseEntity<T> ok(T body) {
        return ResponseEntity.status(HttpStatus.OK).contentType(IftttExceptionHandler.JSON_UTF8).body(body);
    }
}
