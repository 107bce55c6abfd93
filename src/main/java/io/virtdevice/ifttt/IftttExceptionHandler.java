package io.virtdevice.ifttt;

import io.virtdevice.limits.RateLimited;
import io.virtdevice.platform.web.DatabaseErrors;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.ErrorResponse;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * Every failure of the IFTTT endpoints in IFTTT's shape, {@code {"errors":[{"message":...}]}}
 * (shared/spec/ifttt.md §1, §5): our refusals with their status (and SKIP), the platform's 4xx problems
 * with their detail, 503 when the database is out of reach (IFTTT retries later), 500 for the rest.
 */
@RestControllerAdvice(assignableTypes = IftttController.class)
@Order(Ordered.HIGHEST_PRECEDENCE)
class IftttExceptionHandler {

    static final MediaType JSON_UTF8 = MediaType.parseMediaType("application/json; charset=utf-8");

    private static final Logger log = LoggerFactory.getLogger(IftttExceptionHandler.class);

    @ExceptionHandler(IftttError.class)
    ResponseEntity<Map<String, Object>> refused(IftttError e) {
        return body(e.status(), e.getMessage(), e.skip());
    }

    /** A published limit (device changes): IFTTT's error shape, 429 with Retry-After, no SKIP (retry later). */
    @ExceptionHandler(RateLimited.class)
    ResponseEntity<Map<String, Object>> limited(RateLimited e) {
        ResponseEntity<Map<String, Object>> body = body(HttpStatus.TOO_MANY_REQUESTS, e.getBody().getDetail(), false);
        return ResponseEntity.status(body.getStatusCode()).headers(e.getHeaders()).contentType(JSON_UTF8)
                .body(body.getBody());
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<Map<String, Object>> failed(Exception e) {
        if (e instanceof ErrorResponse problem && problem.getStatusCode().is4xxClientError()) {
            String detail = problem.getBody().getDetail();
            return body(HttpStatus.valueOf(problem.getStatusCode().value()),
                    detail == null ? "The request is not valid." : detail, false);
        }
        if (DatabaseErrors.unavailable(e)) {
            return body(HttpStatus.SERVICE_UNAVAILABLE, DatabaseErrors.BUSY_DETAIL, false);
        }
        log.error("IFTTT request failed", e);
        return body(HttpStatus.INTERNAL_SERVER_ERROR, "Something went wrong on our side; please try again.", false);
    }

    static ResponseEntity<Map<String, Object>> body(HttpStatus status, String message, boolean skip) {
        Map<String, Object> error = new LinkedHashMap<>();
        if (skip) {
            error.put("status", "SKIP");
        }
        error.put("message", message);
        return ResponseEntity.status(status).contentType(JSON_UTF8).body(Map.of("errors", List.of(error)));
    }
}
