package io.virtdevice.platform.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Refuses, before anything else reads them, the two request shapes that the servlet stack turns into
 * exceptions far from any handler (issue 9: 500s from hostile input):
 * <ul>
 *   <li>a query string or form body with bad percent-encoding or invalid UTF-8 ({@code ?value=%zz}): the server
 *       throws on the first {@code getParameter}, wherever that is (a security filter, an argument
 *       resolver), so the parameters are parsed here once and a failure is a 400;
 *   <li>a wildcard {@code Content-Type} ({@code *}{@code /*}, {@code application/*}): Spring's request
 *       headers refuse to hold it with an {@code IllegalArgumentException}; a body needs a concrete type, so
 *       415.
 * </ul>
 * The answer is in the surface's shape: OAuth's error JSON under {@code /oauth2/}, problem details elsewhere.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 2)
class HostileRequestFilter extends OncePerRequestFilter {

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String contentType = request.getContentType();
        if (contentType != null && wildcard(contentType)) {
            refuse(request, response, HttpStatus.UNSUPPORTED_MEDIA_TYPE, ProblemTypes.UNSUPPORTED_MEDIA_TYPE,
                    "Unsupported media type", "The Content-Type must name a concrete media type.");
            return;
        }
        try {
            request.getParameterMap();
        } catch (RuntimeException e) {
            // Jetty's BadMessageException (Tomcat's InvalidParameterException before): bad %-encoding or charset
            refuse(request, response, HttpStatus.BAD_REQUEST, ProblemTypes.MALFORMED_REQUEST, "Malformed request",
                    "The query string or form body is not validly encoded.");
            return;
        }
        chain.doFilter(request, response);
    }

    /** Async and error dispatches carry the request that already passed. */
    @Override
    protected boolean shouldNotFilterAsyncDispatch() {
        return true;
    }

    private static boolean wildcard(String contentType) {
        try {
            MediaType type = MediaType.parseMediaType(contentType);
            return type.isWildcardType() || type.isWildcardSubtype();
        } catch (InvalidMediaTypeException e) {
            return false; // unparsable types are ignored by Spring and refused by the handlers that need a body
        }
    }

    private static void refuse(HttpServletRequest request, HttpServletResponse response, HttpStatus status,
            java.net.URI type, String title, String detail) throws IOException {
        response.setStatus(status.value());
        String body;
        if (request.getRequestURI().startsWith("/oauth2/")) {
            response.setContentType(MediaType.APPLICATION_JSON_VALUE);
            body = "{\"error\":\"invalid_request\",\"error_description\":\"" + detail + "\"}";
        } else {
            response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
            body = "{\"type\":\"" + type + "\",\"title\":\"" + title + "\",\"status\":" + status.value()
                    + ",\"detail\":\"" + detail + "\"}";
        }
        response.getOutputStream().write(body.getBytes(StandardCharsets.UTF_8));
    }
}
