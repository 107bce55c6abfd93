package io.virtdevice.platform.web;

import java.net.URI;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.NestedExceptionUtils;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.dao.DataAccessException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.web.bind.MethodArgumentNotValidException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.method.annotation.HandlerMethodValidationException;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.databind.DatabindException;
import tools.jackson.databind.exc.InvalidFormatException;
import tools.jackson.databind.exc.MismatchedInputException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;

/**
 * Turns every failure of the JSON API into an RFC 9457 problem with a stable {@code type}: client mistakes
 * become 4xx with a detail that names the field but no internals; anything unexpected becomes a bare 500
 * that carries only the request id to quote.
 */
@RestControllerAdvice
@Order(Ordered.LOWEST_PRECEDENCE)
public class ApiExceptionHandler extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ApiExceptionHandler.class);

    @Override
    protected ResponseEntity<Object> handleExceptionInternal(Exception ex, Object body, HttpHeaders headers,
            HttpStatusCode status, WebRequest request) {
        ResponseEntity<Object> response = super.handleExceptionInternal(ex, body, headers, status, request);
        if (response != null && response.getBody() instanceof ProblemDetail problem) {
            withDefaultType(problem);
        }
        return response;
    }

    @Override
    protected ResponseEntity<Object> handleHttpMessageNotReadable(HttpMessageNotReadableException ex,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        if (ex.getMostSpecificCause() instanceof BodySizeLimitFilter.BodyTooLarge tooLarge) {
            ResponseEntity<ProblemDetail> refused = tooLarge(tooLarge);
            return new ResponseEntity<>(refused.getBody(), refused.getHeaders(), refused.getStatusCode());
        }
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, readableDetail(ex));
        problem.setType(ProblemTypes.MALFORMED_REQUEST);
        problem.setTitle("Malformed request body");
        return ResponseEntity.badRequest().body(problem);
    }

    @Override
    protected ResponseEntity<Object> handleMethodArgumentNotValid(MethodArgumentNotValidException ex,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        List<Map<String, String>> errors = ex.getBindingResult().getFieldErrors().stream()
                .map(e -> Map.of("field", e.getField(), "message", String.valueOf(e.getDefaultMessage())))
                .toList();
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST,
                errors.isEmpty() ? "The request is invalid." : errors.get(0).get("field") + ": " + errors.get(0).get("message"));
        problem.setType(ProblemTypes.VALIDATION);
        problem.setTitle("Invalid request");
        problem.setProperty("errors", errors);
        return ResponseEntity.badRequest().body(problem);
    }

    @Override
    protected ResponseEntity<Object> handleHandlerMethodValidationException(HandlerMethodValidationException ex,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, "A request parameter is invalid.");
        problem.setType(ProblemTypes.INVALID_PARAMETER);
        problem.setTitle("Invalid parameter");
        return ResponseEntity.badRequest().body(problem);
    }

    @ExceptionHandler(MethodArgumentTypeMismatchException.class)
    ResponseEntity<ProblemDetail> typeMismatch(MethodArgumentTypeMismatchException ex) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST,
                "Parameter '" + ex.getName() + "' has an invalid value.");
        problem.setType(ProblemTypes.INVALID_PARAMETER);
        problem.setTitle("Invalid parameter");
        return ResponseEntity.badRequest().body(problem);
    }

    @ExceptionHandler(BodySizeLimitFilter.BodyTooLarge.class)
    ResponseEntity<ProblemDetail> tooLarge(BodySizeLimitFilter.BodyTooLarge ex) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.CONTENT_TOO_LARGE,
                "The request body must not exceed " + ex.maxBytes + " bytes.");
        problem.setType(ProblemTypes.BODY_TOO_LARGE);
        problem.setTitle("Request body too large");
        // the rest of the body is not read: the connection closes after this answer (BodySizeLimitFilter)
        return ResponseEntity.status(HttpStatus.CONTENT_TOO_LARGE).header(HttpHeaders.CONNECTION, "close").body(problem);
    }

    @ExceptionHandler(AccessDeniedException.class)
    ResponseEntity<ProblemDetail> accessDenied(AccessDeniedException ex) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.FORBIDDEN,
                "Your credentials do not allow this operation.");
        problem.setType(ProblemTypes.FORBIDDEN);
        problem.setTitle("Forbidden");
        return ResponseEntity.status(HttpStatus.FORBIDDEN).body(problem);
    }

    /**
     * The database could not take the request now ({@link DatabaseErrors#unavailable}): the client should
     * try again, so 503 with {@code Retry-After} (never a 500), and a one-line warning instead of a stack
     * trace per request while it lasts.
     */
    @ExceptionHandler(CannotCreateTransactionException.class)
    ResponseEntity<ProblemDetail> unavailable(Exception ex) {
        String requestId = RequestInfo.current().map(RequestInfo::requestId).orElse("unknown");
        log.warn("database unavailable for request {}: {}", requestId, NestedExceptionUtils.getMostSpecificCause(ex).toString());
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.SERVICE_UNAVAILABLE,
                DatabaseErrors.BUSY_DETAIL);
        problem.setType(ProblemTypes.SERVICE_BUSY);
        problem.setTitle("Busy");
        problem.setProperty("requestId", requestId);
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).header(HttpHeaders.RETRY_AFTER, "1").body(problem);
    }

    /** Database refusals that reach here are input the Java checks missed: still the client's fault. */
    @ExceptionHandler(DataAccessException.class)
    ResponseEntity<ProblemDetail> database(DataAccessException ex) {
        if (DatabaseErrors.unavailable(ex)) {
            return unavailable(ex);
        }
        String state = DatabaseErrors.of(ex).map(DatabaseErrors::sqlState).orElse("");
        HttpStatus status;
        URI type;
        String detail;
        switch (state) {
            case "23505" -> {
                status = HttpStatus.CONFLICT;
                type = ProblemTypes.CONFLICT;
                detail = "A resource with the same unique value already exists.";
            }
            case "23514", "23502", "22001", "22003", "22P02", "22007", "22008", "23503", "42501" -> {
                status = HttpStatus.BAD_REQUEST;
                type = ProblemTypes.VALIDATION;
                detail = "The request contains a value that is not allowed.";
            }
            default -> {
                return internal(ex);
            }
        }
        log.info("database refused a request: sqlstate {}", state);
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setType(type);
        problem.setTitle(status == HttpStatus.CONFLICT ? "Conflict" : "Invalid request");
        return ResponseEntity.status(status).body(problem);
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<ProblemDetail> internal(Exception ex) {
        String requestId = RequestInfo.current().map(RequestInfo::requestId).orElse("unknown");
        log.error("unhandled error in request {}", requestId, ex);
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.INTERNAL_SERVER_ERROR,
                "Something went wrong on our side. Quote request id " + requestId + " if you contact support.");
        problem.setType(ProblemTypes.INTERNAL);
        problem.setTitle("Internal error");
        problem.setProperty("requestId", requestId);
        return ResponseEntity.status(HttpStatus.INTERNAL_SERVER_ERROR).body(problem);
    }

    static void withDefaultType(ProblemDetail problem) {
        if (problem.getType() == null || "about:blank".equals(problem.getType().toString())) {
            problem.setType(switch (problem.getStatus()) {
                case 400 -> ProblemTypes.MALFORMED_REQUEST;
                case 404 -> ProblemTypes.NOT_FOUND;
                case 405 -> ProblemTypes.METHOD_NOT_ALLOWED;
                case 406 -> ProblemTypes.NOT_ACCEPTABLE;
                case 413 -> ProblemTypes.BODY_TOO_LARGE;
                case 415 -> ProblemTypes.UNSUPPORTED_MEDIA_TYPE;
                default -> ProblemTypes.of("http-" + problem.getStatus());
            });
        }
    }

    private static String readableDetail(HttpMessageNotReadableException ex) {
        Throwable cause = ex.getMostSpecificCause();
        if (cause instanceof UnrecognizedPropertyException unknown) {
            return "Unknown or read-only field '" + unknown.getPropertyName() + "'.";
        }
        if (cause instanceof InvalidFormatException || cause instanceof MismatchedInputException) {
            String path = ((DatabindException) cause).getPath().stream()
                    .map(ref -> ref.getPropertyName() != null ? ref.getPropertyName() : "[" + ref.getIndex() + "]")
                    .reduce((a, b) -> b.startsWith("[") ? a + b : a + "." + b)
                    .orElse(null);
            return path == null ? "The request body has the wrong shape." : "Field '" + path + "' has the wrong type.";
        }
        if (cause instanceof StreamReadException) {
            return "The request body is not valid JSON.";
        }
        return "The request body could not be read.";
    }
}
