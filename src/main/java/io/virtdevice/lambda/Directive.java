package io.virtdevice.lambda;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.jr.ob.JSON;

/**
 * What the Lambda reads of a directive — only what it needs to log it, to decide whether it can be forwarded
 * at all, and to answer it itself when VirtDevice cannot: the name, the access token (spec §1:
 * {@code endpoint.scope.token}, {@code payload.grantee.token} or {@code payload.scope.token}), and what an
 * answer echoes (spec §2: the correlation token, the endpoint). The directive itself is forwarded as the bytes
 * Alexa sent.
 *
 * @param namespace {@code header.namespace}, or null
 * @param name {@code header.name}, or null
 * @param token the user's access token, or null (never logged)
 * @param correlationToken {@code header.correlationToken}, or null
 * @param endpoint the endpoint an answer echoes ({@code scope}, {@code endpointId}, string-valued
 *     {@code cookie}), or null when the directive has none Alexa could know
 */
record Directive(String namespace, String name, String token, String correlationToken,
        Map<String, Object> endpoint) {

    /** Amazon's endpointId charset and length (spec §3); an id outside it cannot be echoed schema-valid. */
    private static final Pattern ENDPOINT_ID = Pattern.compile("^[a-zA-Z0-9_\\-=#;:?@&]{1,256}$");

    static final String AUTHORIZATION = "Alexa.Authorization";

    /** The directive in a request body, or null if the body is not JSON of the form {@code {"directive":{…}}}. */
    static Directive read(byte[] body) {
        Map<String, Object> message;
        try {
            message = JSON.std.mapFrom(body);
        } catch (JacksonException | IllegalArgumentException e) {
            return null;
        }
        if (message == null || !(message.get("directive") instanceof Map<?, ?> directive)) {
            return null;
        }
        Object header = directive.get("header");
        Object payload = directive.get("payload");
        Object endpoint = directive.get("endpoint");
        String token = firstText(at(endpoint, "scope", "token"), at(payload, "grantee", "token"),
                at(payload, "scope", "token"));
        return new Directive(text(at(header, "namespace")), text(at(header, "name")), token,
                text(at(header, "correlationToken")), echo(endpoint));
    }

    /** {@code Alexa.Authorization} (AcceptGrant): its failures have their own ErrorResponse (spec §5). */
    boolean authorization() {
        return AUTHORIZATION.equals(namespace);
    }

    /**
     * Whether sending it twice does what sending it once does: every directive but the relative ones
     * ({@code AdjustBrightness} and any other {@code Adjust…}) and AcceptGrant (its grant code is single-use).
     */
    boolean repeatable() {
        return !authorization() && name != null && !name.startsWith("Adjust");
    }

    /** {@code namespace.name} for the log: Alexa's characters only, at most 100 of them. */
    String loggedName() {
        String full = (namespace == null ? "?" : namespace) + "." + (name == null ? "?" : name);
        String cleaned = full.replaceAll("[^A-Za-z0-9._-]", "");
        return cleaned.length() > 100 ? cleaned.substring(0, 100) : cleaned;
    }

    /** The echoed endpoint's id, or null. */
    String endpointId() {
        return endpoint == null ? null : (String) endpoint.get("endpointId");
    }

    /**
     * A complete ErrorResponse to this directive (spec §5, §6): a new messageId, the correlation token and the
     * endpoint echoed, {@code payload.type} and {@code payload.message}. {@code Alexa.Authorization} directives get
     * {@code Alexa.Authorization/ErrorResponse} with {@code ACCEPT_GRANT_FAILED}, whatever the type asked for.
     */
    byte[] error(String type, String message) {
        return errorResponse(this, type, message);
    }

    /** An ErrorResponse for a body that is not a directive at all (nothing to echo). */
    static byte[] errorWithoutDirective(String type, String message) {
        return errorResponse(null, type, message);
    }

    private static byte[] errorResponse(Directive directive, String type, String message) {
        boolean authorization = directive != null && directive.authorization();
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("namespace", authorization ? AUTHORIZATION : "Alexa");
        header.put("name", "ErrorResponse");
        header.put("payloadVersion", "3");
        header.put("messageId", UUID.randomUUID().toString());
        if (directive != null && directive.correlationToken() != null) {
            header.put("correlationToken", directive.correlationToken());
        }
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("header", header);
        if (directive != null && directive.endpoint() != null) {
            event.put("endpoint", directive.endpoint());
        }
        event.put("payload", Map.of("type", authorization ? "ACCEPT_GRANT_FAILED" : type, "message", message));
        return JSON.std.asBytes(Map.of("event", event));
    }

    private static Map<String, Object> echo(Object endpoint) {
        String endpointId = text(at(endpoint, "endpointId"));
        if (endpointId == null || !ENDPOINT_ID.matcher(endpointId).matches()) {
            return null;
        }
        Map<String, Object> echoed = new LinkedHashMap<>();
        String token = text(at(endpoint, "scope", "token"));
        if (token != null) {
            echoed.put("scope", Map.of("type", "BearerToken", "token", token));
        }
        echoed.put("endpointId", endpointId);
        if (at(endpoint, "cookie") instanceof Map<?, ?> cookie && !cookie.isEmpty()) {
            Map<String, Object> strings = new LinkedHashMap<>();
            cookie.forEach((key, value) -> {
                if (key instanceof String k && value instanceof String v) {
                    strings.put(k, v);
                }
            });
            echoed.put("cookie", strings);
        }
        return echoed;
    }

    /** The value at a path of nested objects, or null. */
    static Object at(Object node, String... path) {
        Object current = node;
        for (String key : path) {
            if (!(current instanceof Map<?, ?> map)) {
                return null;
            }
            current = map.get(key);
        }
        return current;
    }

    static String text(Object value) {
        return value instanceof String s && !s.isEmpty() ? s : null;
    }

    private static String firstText(Object... values) {
        for (Object value : values) {
            String text = text(value);
            if (text != null) {
                return text;
            }
        }
        return null;
    }
}
