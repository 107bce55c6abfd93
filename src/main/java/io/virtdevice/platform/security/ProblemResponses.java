package io.virtdevice.platform.security;

import io.virtdevice.platform.web.DatabaseErrors;
import io.virtdevice.platform.web.ProblemTypes;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.springframework.http.MediaType;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.access.AccessDeniedHandler;
import org.springframework.security.web.csrf.CsrfException;

/** 401 and 403 as RFC 9457 problems for the JSON API (instead of redirects to the login page). */
final class ProblemResponses {

    private ProblemResponses() {}

    static AuthenticationEntryPoint unauthenticated() {
        return (request, response, ex) -> {
            response.setHeader("WWW-Authenticate", "Bearer realm=\"virtdevice\"");
            write(response, 401, ProblemTypes.UNAUTHENTICATED, "Unauthenticated",
                    "Sign in, or send a valid API key as 'Authorization: Bearer <key>'.");
        };
    }

    static AccessDeniedHandler forbidden() {
        return (request, response, ex) -> {
            if (ex instanceof CsrfException) {
                write(response, 403, ProblemTypes.FORBIDDEN, "Forbidden",
                        "Missing or invalid CSRF token: send the XSRF-TOKEN cookie's value in the X-XSRF-TOKEN header.");
            } else {
                write(response, 403, ProblemTypes.FORBIDDEN, "Forbidden",
                        "Your credentials do not allow this operation.");
            }
        };
    }

    /** The credentials could not be checked because the database is out of reach or saturated for now. */
    static void busy(HttpServletResponse response) throws IOException {
        response.setHeader("Retry-After", "1");
        write(response, 503, ProblemTypes.SERVICE_BUSY, "Busy", DatabaseErrors.BUSY_DETAIL);
    }

    static void write(HttpServletResponse response, int status, URI type, String title, String detail)
            throws IOException {
        response.setStatus(status);
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        response.setCharacterEncoding(StandardCharsets.UTF_8.name());
        response.getWriter().write("{\"type\":\"" + type + "\",\"title\":\"" + title + "\",\"status\":" + status
                + ",\"detail\":\"" + detail.replace("\"", "\\\"") + "\"}");
    }
}
