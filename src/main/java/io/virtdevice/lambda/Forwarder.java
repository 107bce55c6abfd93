package io.virtdevice.lambda;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.jr.ob.JSON;

/**
 * Sends one directive to VirtDevice and turns what comes back into the answer for Alexa: VirtDevice's own Alexa
 * message as it is, or an ErrorResponse of our own when VirtDevice's answer is not one (spec §1, §6, §10 item
 * 35): 401/403 {@code INVALID_AUTHORIZATION_CREDENTIAL}, 429 {@code RATE_LIMIT_EXCEEDED}, a time-out, a refused
 * or broken connection, a 5xx or a body that is not an Alexa message {@code BRIDGE_UNREACHABLE}; a refusal that
 * VirtDevice itself phrased as an Alexa ErrorResponse keeps its type (e.g. {@code EXPIRED_AUTHORIZATION_CREDENTIAL},
 * which makes Alexa refresh the token), with this directive's echo. A connection that breaks before the answer
 * is tried once more on a new one, unless the directive must not arrive twice ({@link Directive#repeatable()}).
 */
final class Forwarder {

    /** The types the schema accepts in an {@code Alexa.ErrorResponse} (spec §6), less the ones that need extra payload. */
    private static final Set<String> ERROR_TYPES = Set.of("ALREADY_IN_OPERATION", "BRIDGE_UNREACHABLE",
            "CLOUD_CONTROL_DISABLED", "ENDPOINT_BUSY", "ENDPOINT_LOW_POWER", "ENDPOINT_UNREACHABLE",
            "EXPIRED_AUTHORIZATION_CREDENTIAL", "FIRMWARE_OUT_OF_DATE", "HARDWARE_MALFUNCTION",
            "INSUFFICIENT_PERMISSIONS", "INTERNAL_ERROR", "INVALID_AUTHORIZATION_CREDENTIAL", "INVALID_DIRECTIVE",
            "INVALID_VALUE", "NO_SUCH_ENDPOINT", "NOT_CALIBRATED", "NOT_IN_OPERATION", "POWER_LEVEL_NOT_SUPPORTED",
            "RATE_LIMIT_EXCEEDED", "TOO_MANY_FAILED_ATTEMPTS", "PARTNER_OUTAGE");
    private static final Pattern REQUEST_ID = Pattern.compile("^[A-Za-z0-9._:-]{8,64}$");

    private final HttpClient client;
    private final LambdaSettings settings;

    Forwarder(HttpClient client, LambdaSettings settings) {
        this.client = client;
        this.settings = settings;
    }

    /**
     * What Alexa gets for one directive.
     *
     * @param body the directive as Alexa sent it
     * @param directive what was read of it
     * @param budgetMillis how long the call may take in all (connect, send, wait, read)
     * @param requestId the Lambda invocation's id, passed on as {@code X-Request-Id} so both logs share it
     */
    Outcome forward(byte[] body, Directive directive, long budgetMillis, String requestId) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(budgetMillis);
        for (int attempt = 1; ; attempt++) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) {
                return unreachable(directive, 0, "no answer within " + budgetMillis + " ms");
            }
            CompletableFuture<HttpResponse<byte[]>> call =
                    client.sendAsync(request(body, left, requestId), HttpResponse.BodyHandlers.ofByteArray());
            try {
                // the request timeout ends the wait for the headers; this bounds the body too
                HttpResponse<byte[]> response = call.get(left, TimeUnit.MILLISECONDS);
                return answer(directive, response.statusCode(), response.body());
            } catch (TimeoutException e) {
                call.cancel(true);
                return unreachable(directive, 0, "no answer within " + budgetMillis + " ms");
            } catch (ExecutionException e) {
                Throwable cause = e.getCause() == null ? e : e.getCause();
                if (cause instanceof HttpTimeoutException) {
                    return unreachable(directive, 0, "no answer within " + budgetMillis + " ms");
                }
                if (cause instanceof ConnectException) {
                    return unreachable(directive, 0, "connection refused or failed: " + describe(cause));
                }
                if (!(cause instanceof IOException)) {
                    return Outcome.error(directive, "INTERNAL_ERROR", 0, "Unknown error.",
                            "call failed: " + describe(cause));
                }
                // A connection that broke before the answer: most often one kept from an earlier invocation
                // that the backend or a load balancer closed while this execution environment was frozen. Once
                // more on a new connection, for directives that may safely arrive twice.
                if (attempt > 1 || !directive.repeatable()) {
                    return unreachable(directive, 0, "connection broken" + (attempt > 1 ? " twice: " : ": ")
                            + describe(cause));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                call.cancel(true);
                return Outcome.error(directive, "INTERNAL_ERROR", 0, "Unknown error.", "interrupted");
            }
        }
    }

    private HttpRequest request(byte[] body, long timeoutMillis, String requestId) {
        HttpRequest.Builder request = HttpRequest.newBuilder(settings.directivesUri())
                // h2 when the backend offers it over TLS (ALPN); plain http stays HTTP/1.1 (no h2c upgrade dance)
                .version(settings.https() ? HttpClient.Version.HTTP_2 : HttpClient.Version.HTTP_1_1)
                .timeout(Duration.ofMillis(timeoutMillis))
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .header("User-Agent", "VirtDevice-Alexa-Lambda")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (settings.region() != null) {
            request.header("X-VirtDevice-Alexa-Region", settings.region());
        }
        if (requestId != null && REQUEST_ID.matcher(requestId).matches()) {
            request.header("X-Request-Id", requestId);
        }
        return request.build();
    }

    /** The answer for VirtDevice's HTTP response. */
    static Outcome answer(Directive directive, int status, byte[] body) {
        Map<String, Object> message = json(body);
        boolean success = status >= 200 && status < 300;
        if (success && alexaMessage(message)) {
            return Outcome.forwarded(body, status, backendErrorType(message));
        }
        if (success) {
            return unreachable(directive, status, "answered " + status + " without an Alexa message");
        }
        String type = backendErrorType(message);
        if (type != null && ERROR_TYPES.contains(type)) {
            Object text = Directive.at(message, "event", "payload", "message");
            String reason = text instanceof String s && !s.isBlank() ? limit(s, 300) : "VirtDevice refused the directive.";
            return Outcome.error(directive, type, status, reason, "answered " + status + " " + type);
        }
        return switch (status) {
            case 401, 403 -> Outcome.error(directive, "INVALID_AUTHORIZATION_CREDENTIAL", status,
                    "VirtDevice did not accept the access token.", "answered " + status);
            case 429 -> Outcome.error(directive, "RATE_LIMIT_EXCEEDED", status,
                    "VirtDevice is rate limiting; retry later.", "answered 429");
            default -> unreachable(directive, status, "answered " + status
                    + (status >= 300 && status < 400 ? " (a redirect: check VIRTDEVICE_URL)" : ""));
        };
    }

    private static Outcome unreachable(Directive directive, int status, String detail) {
        return Outcome.error(directive, "BRIDGE_UNREACHABLE", status, "VirtDevice could not be reached in time.",
                detail);
    }

    /** A JSON object, or null for anything else (HTML error pages, truncated bodies, arrays). */
    private static Map<String, Object> json(byte[] body) {
        if (body == null || body.length == 0) {
            return null;
        }
        try {
            return JSON.std.mapFrom(body);
        } catch (JacksonException | IllegalArgumentException e) {
            return null;
        }
    }

    /** An Alexa message: {@code event.header} with namespace, name, messageId and payloadVersion "3" (spec §2). */
    static boolean alexaMessage(Map<String, Object> message) {
        Object header = Directive.at(message, "event", "header");
        return Directive.text(Directive.at(header, "namespace")) != null
                && Directive.text(Directive.at(header, "name")) != null
                && Directive.text(Directive.at(header, "messageId")) != null
                && "3".equals(Directive.at(header, "payloadVersion"));
    }

    /** {@code payload.type} of an {@code ErrorResponse}, or null. */
    private static String backendErrorType(Map<String, Object> message) {
        return alexaMessage(message) && "ErrorResponse".equals(Directive.at(message, "event", "header", "name"))
                ? Directive.text(Directive.at(message, "event", "payload", "type"))
                : null;
    }

    private static String describe(Throwable t) {
        String message = t.getMessage();
        return t.getClass().getSimpleName() + (message == null ? "" : " " + limit(message, 200));
    }

    private static String limit(String text, int length) {
        return text.length() > length ? text.substring(0, length) : text;
    }

    /**
     * What one invocation answered.
     *
     * @param body the bytes returned to Alexa
     * @param backendStatus VirtDevice's HTTP status, 0 when there was none (not called, time-out, no connection)
     * @param errorType the ErrorResponse type Alexa gets, or null for a successful answer
     * @param forwarded whether the body is VirtDevice's own answer
     * @param detail why the Lambda answered itself, for the log, or null
     */
    record Outcome(byte[] body, int backendStatus, String errorType, boolean forwarded, String detail) {

        static Outcome forwarded(byte[] body, int status, String errorType) {
            return new Outcome(body, status, errorType, true, null);
        }

        static Outcome error(Directive directive, String type, int status, String message, String detail) {
            byte[] body = directive == null
                    ? Directive.errorWithoutDirective(type, message)
                    : directive.error(type, message);
            return new Outcome(body, status, directive != null && directive.authorization() ? "ACCEPT_GRANT_FAILED" : type,
                    false, detail);
        }
    }
}
