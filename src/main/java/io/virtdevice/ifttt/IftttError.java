package io.virtdevice.ifttt;

import org.springframework.http.HttpStatus;

/**
 * A refusal in IFTTT's shape: {@code {"errors":[{"message":...}]}}, with {@code "status":"SKIP"} for an
 * action that can never succeed (shared/spec/ifttt.md §4.7, §5).
 */
class IftttError extends RuntimeException {

    private final HttpStatus status;
    private final boolean skip;

    private IftttError(HttpStatus status, String message, boolean skip) {
        super(message, null, false, false);
        this.status = status;
        this.skip = skip;
    }

    /** 400: the request itself is wrong (IFTTT retries actions refused this way). */
    static IftttError badRequest(String message) {
        return new IftttError(HttpStatus.BAD_REQUEST, message, false);
    }

    /** 400 with SKIP: this action can never succeed with these values; IFTTT skips it at once. */
    static IftttError skip(String message) {
        return new IftttError(HttpStatus.BAD_REQUEST, message, true);
    }

    static IftttError notFound(String message) {
        return new IftttError(HttpStatus.NOT_FOUND, message, false);
    }

    static IftttError unauthorized(String message) {
        return new IftttError(HttpStatus.UNAUTHORIZED, message, false);
    }

    static IftttError unavailable(String message) {
        return new IftttError(HttpStatus.SERVICE_UNAVAILABLE, message, false);
    }

    HttpStatus status() {
        return status;
    }

    boolean skip() {
        return skip;
    }
}
