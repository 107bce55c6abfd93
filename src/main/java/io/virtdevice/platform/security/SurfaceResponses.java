package io.virtdevice.platform.security;

import io.virtdevice.platform.web.DatabaseErrors;
import io.virtdevice.platform.web.ProblemTypes;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.springframework.http.MediaType;
import org.springframework.security.authentication.CredentialsExpiredException;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.access.AccessDeniedHandler;

/**
 * The security layer's refusals in each surface's own error shape: RFC 9457 problem details on the REST
 * API, {@code {"errors":[{"message":...}]}} on IFTTT's service API, an {@code Alexa.ErrorResponse} on the
 * Alexa endpoints.
 */
abstract class SurfaceResponses {

    abstract AuthenticationEntryPoint unauthenticated();

    abstract AccessDeniedHandler forbidden();

    /** 429: the client address sent too many unknown tokens. */
    abstract void tooManyUnknownTokens(HttpServletResponse response, long retryAfterSeconds) throws IOException;

    /** 503: credentials could not be checked (database out of reach or saturated). */
    abstract void busy(HttpServletResponse response) throws IOException;

    static SurfaceResponses of(CurrentUser.Surface surface) {
        return switch (surface) {
            case API -> new Api();
            case ALEXA -> new Alexa();
            case IFTTT -> new Ifttt();
        };
    }

    static final class Api extends SurfaceResponses {
        @Override
        AuthenticationEntryPoint unauthenticated() {
            return ProblemResponses.unauthenticated();
        }

        @Override
        AccessDeniedHandler forbidden() {
            return ProblemResponses.forbidden();
        }

        @Override
        void tooManyUnknownTokens(HttpServletResponse response, long retryAfterSeconds) throws IOException {
            response.setHeader("Retry-After", Long.toString(retryAfterSeconds));
            ProblemResponses.write(response, 429, ProblemTypes.TOO_MANY_REQUESTS, "Too many requests",
                    "Too many unknown tokens from your address; retry after " + retryAfterSeconds + " seconds.");
        }

        @Override
        void busy(HttpServletResponse response) throws IOException {
            ProblemResponses.busy(response);
        }
    }

    /** IFTTT service API: {@code {"errors":[{"message":"..."}]}} (shared/spec/ifttt.md §1, §5). */
    static final class Ifttt extends SurfaceResponses {
        @Override
        AuthenticationEntryPoint unauthenticated() {
            return (request, response, ex) -> {
                response.setHeader("WWW-Authenticate", "Bearer realm=\"virtdevice\", error=\"invalid_token\"");
                write(response, 401, "Invalid access token");
            };
        }

        @Override
        AccessDeniedHandler forbidden() {
            return (request, response, ex) -> write(response, 403, "This access token does not allow this request");
        }

        @Override
        void tooManyUnknownTokens(HttpServletResponse response, long retryAfterSeconds) throws IOException {
            response.setHeader("Retry-After", Long.toString(retryAfterSeconds));
            write(response, 429, "Too many invalid access tokens; retry later");
        }

        @Override
        void busy(HttpServletResponse response) throws IOException {
            response.setHeader("Retry-After", "1");
            write(response, 503, DatabaseErrors.BUSY_DETAIL);
        }

        private static void write(HttpServletResponse response, int status, String message) throws IOException {
            response.setStatus(status);
            response.setContentType("application/json; charset=utf-8");
            response.setCharacterEncoding(StandardCharsets.UTF_8.name());
            response.getWriter().write("{\"errors\":[{\"message\":\"" + escape(message) + "\"}]}");
        }
    }

    /**
     * Alexa: an {@code Alexa.ErrorResponse} (shared/spec/alexa.md §6) with 401/403, which the skill's Lambda
     * passes on; the directive's correlation token and endpoint are echoed by the Alexa controller itself,
     * the security layer answers before the body is read.
     */
    static final class Alexa extends SurfaceResponses {
        @Override
        AuthenticationEntryPoint unauthenticated() {
            return (request, response, ex) -> write(response, 401, ex instanceof CredentialsExpiredException
                            ? "EXPIRED_AUTHORIZATION_CREDENTIAL"
                            : "INVALID_AUTHORIZATION_CREDENTIAL",
                    "The access token is " + (ex instanceof CredentialsExpiredException ? "expired" : "invalid") + ".");
        }

        @Override
        AccessDeniedHandler forbidden() {
            return (request, response, ex) -> write(response, 403, "INSUFFICIENT_PERMISSIONS",
                    "The access token does not allow this directive.");
        }

        @Override
        void tooManyUnknownTokens(HttpServletResponse response, long retryAfterSeconds) throws IOException {
            response.setHeader("Retry-After", Long.toString(retryAfterSeconds));
            write(response, 429, "RATE_LIMIT_EXCEEDED", "Too many invalid access tokens.");
        }

        @Override
        void busy(HttpServletResponse response) throws IOException {
            response.setHeader("Retry-After", "1");
            write(response, 503, "BRIDGE_UNREACHABLE", DatabaseErrors.BUSY_DETAIL);
        }

        private static void write(HttpServletResponse response, int status, String type, String message)
                throws IOException {
            response.setStatus(status);
            response.setContentType(MediaType.APPLICATION_JSON_VALUE);
            response.setCharacterEncoding(StandardCharsets.UTF_8.name());
            response.getWriter().write("{\"event\":{\"header\":{\"namespace\":\"Alexa\",\"name\":\"ErrorResponse\","
                    + "\"payloadVersion\":\"3\",\"messageId\":\"" + UUID.randomUUID() + "\"},"
                    + "\"payload\":{\"type\":\"" + type + "\",\"message\":\"" + escape(message) + "\"}}}");
        }
    }

    private static String escape(String text) {
        return text.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
