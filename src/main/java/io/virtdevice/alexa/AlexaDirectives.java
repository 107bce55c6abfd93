package io.virtdevice.alexa;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.virtdevice.limits.RateLimited;
import io.virtdevice.limits.RateLimiter;
import io.virtdevice.devices.ChangeSource;
import io.virtdevice.devices.Device;
import io.virtdevice.devices.DeviceManagement;
import io.virtdevice.devices.DeviceNotFound;
import io.virtdevice.platform.security.BearerCredentials;
import io.virtdevice.platform.security.CurrentUser;
import io.virtdevice.platform.tenancy.TenantScope;
import io.virtdevice.platform.web.DatabaseErrors;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Answers one Alexa directive (shared/spec/alexa.md §3, §4, §6): finds the user from the access token in the
 * directive ({@code endpoint.scope.token}, {@code payload.scope.token} or {@code payload.grantee.token}) or in
 * {@code Authorization: Bearer}, then Discover, ReportState, PowerController and BrightnessController through
 * {@link DeviceManagement} in the user's tenant scope; AcceptGrant through {@link AlexaAcceptGrant}. Every outcome is a complete Alexa message; every
 * failure an {@code Alexa.ErrorResponse} that echoes the directive's correlation token and endpoint.
 */
@Service
class AlexaDirectives {

    private static final Logger log = LoggerFactory.getLogger(AlexaDirectives.class);

    /** Discover lists at most this many endpoints (the schema's maxItems, §3). */
    static final int MAX_ENDPOINTS = 300;

    private static final Pattern ENDPOINT_ID = Pattern.compile("^[a-zA-Z0-9_\\-=#;:?@&]{1,256}$");
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private final DeviceManagement devices;
    private final BearerCredentials credentials;
    private final JsonMapper json;
    private final AlexaAcceptGrant acceptGrant;
    private final RateLimiter limits;
    /** The device behind each endpoint id, for the per-device change limit (ids never change). */
    private final Cache<String, UUID> endpointDevices = Caffeine.newBuilder().maximumSize(100_000).build();

    AlexaDirectives(DeviceManagement devices, BearerCredentials credentials, JsonMapper json,
            AlexaAcceptGrant acceptGrant, RateLimiter limits) {
        this.limits = limits;
        this.devices = devices;
        this.credentials = credentials;
        this.json = json;
        this.acceptGrant = acceptGrant;
    }

    /** What a response echoes of its directive. */
    record Echo(String correlationToken, ObjectNode endpoint) {}

    /**
     * @param body the request body as sent
     * @param headerToken the {@code Authorization: Bearer} token, or null
     * @param region the Lambda's {@code X-VirtDevice-Alexa-Region} header (AcceptGrant), or null
     * @param address the client address (the unknown-token throttle)
     */
    ObjectNode handle(byte[] body, String headerToken, String region, String address) {
        JsonNode directive;
        try {
            directive = body == null || body.length == 0 ? null : json.readTree(body).path("directive");
        } catch (JacksonException e) {
            directive = null;
        }
        if (directive == null || !directive.isObject()) {
            return error(new Echo(null, null), AlexaError.invalidDirective("The body is not an Alexa directive."));
        }
        Echo echo = echo(directive);
        try {
            JsonNode header = directive.path("header");
            String namespace = text(header.path("namespace"));
            String name = text(header.path("name"));
            if (namespace == null || name == null || !"3".equals(text(header.path("payloadVersion")))) {
                throw AlexaError.invalidDirective("A directive needs header.namespace, header.name and "
                        + "header.payloadVersion \"3\".");
            }
            JsonNode payload = directive.path("payload");
            if (namespace.equals("Alexa.Authorization") && name.equals("AcceptGrant")) {
                JsonNode target = directive;
                return acceptGrant.accept(payload, region, echo,
                        () -> authenticate(target, payload, headerToken, address));
            }
            CurrentUser user = authenticate(directive, payload, headerToken, address);
            JsonNode target = directive;
            return TenantScope.call(user.context(), () -> dispatch(user, namespace, name, target, payload, echo));
        } catch (AlexaError e) {
            return error(echo, e);
        } catch (DeviceNotFound e) {
            return error(echo, AlexaError.noSuchEndpoint());
        } catch (RuntimeException e) {
            if (DatabaseErrors.unavailable(e)) {
                log.warn("Alexa directive while the database is out of reach: {}", e.toString());
                return error(echo, new AlexaError("BRIDGE_UNREACHABLE", "VirtDevice is busy; retry shortly."));
            }
            log.error("Alexa directive failed", e);
            return error(echo, new AlexaError("INTERNAL_ERROR", "Unknown error."));
        }
    }

    private CurrentUser authenticate(JsonNode directive, JsonNode payload, String headerToken, String address) {
        String inBody = firstText(directive.path("endpoint").path("scope").path("token"),
                payload.path("scope").path("token"), payload.path("grantee").path("token"));
        if (inBody != null && headerToken != null && !inBody.equals(headerToken)) {
            throw new AlexaError("INVALID_AUTHORIZATION_CREDENTIAL",
                    "The Authorization header and the directive carry different tokens.");
        }
        String token = inBody != null ? inBody : headerToken;
        if (token == null) {
            throw new AlexaError("INVALID_AUTHORIZATION_CREDENTIAL", "The directive carries no access token.");
        }
        return switch (credentials.check(token, CurrentUser.Surface.ALEXA, address)) {
            case BearerCredentials.Valid v -> v.user();
            case BearerCredentials.Expired x ->
                    throw new AlexaError("EXPIRED_AUTHORIZATION_CREDENTIAL", "The access token is expired.");
            case BearerCredentials.Invalid x ->
                    throw new AlexaError("INVALID_AUTHORIZATION_CREDENTIAL", "The access token is invalid.");
            case BearerCredentials.Throttled x ->
                    throw new AlexaError("RATE_LIMIT_EXCEEDED", "Too many invalid access tokens.");
            case BearerCredentials.Unavailable x ->
                    throw new AlexaError("BRIDGE_UNREACHABLE", "VirtDevice is busy; retry shortly.");
        };
    }

    private ObjectNode dispatch(CurrentUser user, String namespace, String name, JsonNode directive,
            JsonNode payload, Echo echo) {
        String directiveName = namespace + "." + name;
        switch (directiveName) {
            case "Alexa.Discovery.Discover" -> {
                require(user, "read");
                return discover(echo);
            }
            case "Alexa.ReportState" -> {
                require(user, "read");
                Device device = endpoint(directive);
                return response(echo, "StateReport", device);
            }
            case "Alexa.PowerController.TurnOn", "Alexa.PowerController.TurnOff" -> {
                require(user, "write");
                changeLimit(endpointId(directive));
                return response(echo, "Response", power(endpointId(directive), name.equals("TurnOn")));
            }
            case "Alexa.BrightnessController.SetBrightness", "Alexa.BrightnessController.AdjustBrightness" -> {
                require(user, "write");
                changeLimit(endpointId(directive));
                return response(echo, "Response",
                        brightness(endpointId(directive), payload, name.equals("AdjustBrightness")));
            }
            default -> throw AlexaError.invalidDirective("Unsupported directive " + sanitisedName(directiveName)
                    + ".");
        }
    }

    /**
     * The device-change limits (per device, per user) before a change: refused as Alexa's own
     * {@code RATE_LIMIT_EXCEEDED} (shared/spec/alexa.md §6), never a problem document.
     */
    private void changeLimit(String endpointId) {
        UUID deviceId = endpointDevices.get(endpointId,
                id -> devices.findByAlexaEndpointId(id).map(Device::id).orElseThrow(AlexaError::noSuchEndpoint));
        try {
            limits.enforceChange(deviceId);
        } catch (RateLimited e) {
            throw new AlexaError("RATE_LIMIT_EXCEEDED", "Too many changes; retry in " + e.retryAfterSeconds() + " s.");
        }
    }

    private static void require(CurrentUser user, String scope) {
        if (!user.scopes().contains(scope)) {
            throw new AlexaError("INSUFFICIENT_PERMISSIONS", "The access token lacks the " + scope + " scope.");
        }
    }

    private Device endpoint(JsonNode directive) {
        return devices.findByAlexaEndpointId(endpointId(directive)).orElseThrow(AlexaError::noSuchEndpoint);
    }

    /** The directive's endpoint id, if it is one Alexa could know (else NO_SUCH_ENDPOINT). */
    private static String endpointId(JsonNode directive) {
        String endpointId = text(directive.path("endpoint").path("endpointId"));
        if (endpointId == null) {
            throw AlexaError.invalidDirective("This directive needs endpoint.endpointId.");
        }
        if (!ENDPOINT_ID.matcher(endpointId).matches()) {
            throw AlexaError.noSuchEndpoint();
        }
        return endpointId;
    }

    private ObjectNode discover(Echo echo) {
        // one read of one more than Alexa takes, to know whether some were left out
        List<Device> found = devices.list(MAX_ENDPOINTS + 1);
        if (found.size() > MAX_ENDPOINTS) {
            log.warn("Discover: the user has more than {} devices; Alexa gets the first {}", MAX_ENDPOINTS,
                    MAX_ENDPOINTS);
        }
        ObjectNode message = JSON.objectNode();
        ObjectNode event = message.putObject("event");
        event.set("header", header("Alexa.Discovery", "Discover.Response", echo.correlationToken()));
        ArrayNode endpoints = event.putObject("payload").putArray("endpoints");
        found.stream().limit(MAX_ENDPOINTS).forEach(d -> endpoints.add(AlexaEndpoints.discovery(d)));
        return message;
    }

    /**
     * TurnOn/TurnOff (§4.1, §4.2): TurnOn of a dimmer left at brightness 0 brings it back at 100. The device is
     * read once, under its row lock, by its endpoint id (a directive costs what a REST change costs).
     */
    private Device power(String endpointId, boolean on) {
        return devices.changePropertiesByAlexaEndpointId(endpointId, ChangeSource.ALEXA, current -> {
            String power = AlexaEndpoints.propertyFor(current, AlexaEndpoints.POWER);
            if (power == null) {
                throw AlexaError.invalidDirective("This endpoint has no power to turn on or off.");
            }
            reachable(current);
            Map<String, JsonNode> values = new LinkedHashMap<>();
            values.put(power, JSON.booleanNode(on));
            String brightness = AlexaEndpoints.propertyFor(current, AlexaEndpoints.BRIGHTNESS);
            if (on && brightness != null && current.value(brightness) instanceof Number n && n.longValue() <= 0) {
                values.put(brightness, JSON.numberNode(100));
            }
            return values;
        });
    }

    /**
     * SetBrightness and AdjustBrightness with the semantics of Amazon's test plans (§4.2): Adjust clamps to
     * 0..100; Adjust up while OFF sets the delta and turns on; Adjust down while OFF stays OFF; reaching 0
     * (by Set or Adjust) turns off; Set above 0 turns on.
     */
    private Device brightness(String endpointId, JsonNode payload, boolean adjust) {
        return devices.changePropertiesByAlexaEndpointId(endpointId, ChangeSource.ALEXA, current -> {
            String brightness = AlexaEndpoints.propertyFor(current, AlexaEndpoints.BRIGHTNESS);
            if (brightness == null) {
                throw AlexaError.invalidDirective("This endpoint has no brightness.");
            }
            String power = AlexaEndpoints.propertyFor(current, AlexaEndpoints.POWER);
            String field = adjust ? "brightnessDelta" : "brightness";
            long requested = integer(payload.path(field), field, adjust ? -100 : 0, 100);
            reachable(current);
            boolean on = power == null || Boolean.TRUE.equals(current.value(power));
            long level = current.value(brightness) instanceof Number n ? n.longValue() : 0;
            long next;
            boolean nextOn;
            if (!adjust) {
                next = requested;
                nextOn = requested > 0;
            } else if (!on) {
                next = requested > 0 ? requested : level;
                nextOn = requested > 0;
            } else {
                next = Math.max(0, Math.min(100, level + requested));
                nextOn = next > 0;
            }
            Map<String, JsonNode> values = new LinkedHashMap<>();
            values.put(brightness, JSON.numberNode(next));
            if (power != null) {
                values.put(power, JSON.booleanNode(nextOn));
            }
            return values;
        });
    }

    private static void reachable(Device device) {
        if (!device.online()) {
            throw new AlexaError("ENDPOINT_UNREACHABLE", "The device is marked offline.");
        }
    }

    private static long integer(JsonNode node, String field, long min, long max) {
        if (node.isNumber() && !node.isIntegralNumber() && node.doubleValue() == Math.rint(node.doubleValue())
                && Math.abs(node.doubleValue()) < 1e15) {
            node = JSON.numberNode((long) node.doubleValue());
        }
        if (!node.isIntegralNumber()) {
            throw AlexaError.invalidDirective("payload." + field + " must be a whole number.");
        }
        if (!node.canConvertToLong() || node.longValue() < min || node.longValue() > max) {
            throw AlexaError.outOfRange(field, min, max);
        }
        return node.longValue();
    }

    private ObjectNode response(Echo echo, String name, Device device) {
        ObjectNode message = JSON.objectNode();
        ObjectNode event = message.putObject("event");
        event.set("header", header("Alexa", name, echo.correlationToken()));
        if (echo.endpoint() != null) {
            event.set("endpoint", echo.endpoint());
        }
        event.putObject("payload");
        message.putObject("context").set("properties", AlexaEndpoints.state(device, Instant.now()));
        return message;
    }

    /** An {@code Alexa.ErrorResponse} (§6): header, the directive's endpoint, {@code payload.type} and message. */
    static ObjectNode error(Echo echo, AlexaError error) {
        return error("Alexa", echo, error);
    }

    /** An ErrorResponse of {@code namespace} ({@code Alexa}, or {@code Alexa.Authorization} for AcceptGrant). */
    static ObjectNode error(String namespace, Echo echo, AlexaError error) {
        ObjectNode message = JSON.objectNode();
        ObjectNode event = message.putObject("event");
        event.set("header", header(namespace, "ErrorResponse", echo.correlationToken()));
        if (echo.endpoint() != null) {
            event.set("endpoint", echo.endpoint());
        }
        ObjectNode payload = event.putObject("payload");
        payload.put("type", error.type());
        payload.put("message", error.getMessage());
        if (error.validRange() != null) {
            payload.putObject("validRange").put("minimumValue", error.validRange()[0])
                    .put("maximumValue", error.validRange()[1]);
        }
        return message;
    }

    static ObjectNode header(String namespace, String name, String correlationToken) {
        ObjectNode header = JSON.objectNode();
        header.put("namespace", namespace);
        header.put("name", name);
        header.put("payloadVersion", "3");
        header.put("messageId", UUID.randomUUID().toString());
        if (correlationToken != null) {
            header.put("correlationToken", correlationToken);
        }
        return header;
    }

    /**
     * What a response echoes (§2): the correlation token, and the endpoint with its scope, id and cookie
     * (string values only), as long as the id is one Alexa could know; otherwise no endpoint.
     */
    static Echo echo(JsonNode directive) {
        String correlationToken = text(directive.path("header").path("correlationToken"));
        JsonNode endpoint = directive.path("endpoint");
        String endpointId = text(endpoint.path("endpointId"));
        ObjectNode echoed = null;
        if (endpointId != null && ENDPOINT_ID.matcher(endpointId).matches()) {
            echoed = JSON.objectNode();
            String token = text(endpoint.path("scope").path("token"));
            if (token != null) {
                echoed.putObject("scope").put("type", "BearerToken").put("token", token);
            }
            echoed.put("endpointId", endpointId);
            JsonNode cookie = endpoint.path("cookie");
            if (cookie.isObject() && !cookie.isEmpty()) {
                ObjectNode copy = JSON.objectNode();
                cookie.properties().forEach(e -> {
                    if (e.getValue().isString()) {
                        copy.put(e.getKey(), e.getValue().asString());
                    }
                });
                echoed.set("cookie", copy);
            }
        }
        return new Echo(correlationToken, echoed);
    }

    private static String text(JsonNode node) {
        return node != null && node.isString() && !node.asString().isEmpty() ? node.asString() : null;
    }

    private static String firstText(JsonNode... nodes) {
        for (JsonNode node : nodes) {
            String value = text(node);
            if (value != null) {
                return value;
            }
        }
        return null;
    }

    private static String sanitisedName(String name) {
        String cleaned = name.replaceAll("[^A-Za-z0-9._-]", "");
        return cleaned.length() > 80 ? cleaned.substring(0, 80) : cleaned;
    }
}
