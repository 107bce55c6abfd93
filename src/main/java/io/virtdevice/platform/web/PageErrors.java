package io.virtdevice.platform.web;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.ui.Model;
import org.springframework.validation.BindException;
import org.springframework.web.ErrorResponseException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.bind.annotation.ControllerAdvice;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;

/**
 * Failures of {@link HtmlPage} controllers as HTML: the status, a sentence the user can act on (the same
 * detail the API would give), never internals. An htmx request gets the message swapped into the page's
 * alert region ({@code #flash}); a plain request gets the error page.
 */
@ControllerAdvice(annotations = HtmlPage.class)
@Order(Ordered.HIGHEST_PRECEDENCE)
class PageErrors {

    private static final Logger log = LoggerFactory.getLogger(PageErrors.class);

    @ExceptionHandler(ErrorResponseException.class)
    String problem(ErrorResponseException e, HttpServletRequest request, HttpServletResponse response, Model model) {
        String detail = e.getBody().getDetail();
        return render(e.getStatusCode(), detail == null ? e.getBody().getTitle() : detail, request, response, model);
    }

    @ExceptionHandler({MethodArgumentTypeMismatchException.class, MissingServletRequestParameterException.class,
            BindException.class, IllegalArgumentException.class})
    String badRequest(Exception e, HttpServletRequest request, HttpServletResponse response, Model model) {
        return render(HttpStatus.BAD_REQUEST, "The form was not filled in correctly: check the values and try again.",
                request, response, model);
    }

    @ExceptionHandler(HttpRequestMethodNotSupportedException.class)
    String method(Exception e, HttpServletRequest request, HttpServletResponse response, Model model) {
        return render(HttpStatus.METHOD_NOT_ALLOWED, "This address does not take that kind of request.", request,
                response, model);
    }

    @ExceptionHandler(Exception.class)
    String unexpected(Exception e, HttpServletRequest request, HttpServletResponse response, Model model) {
        log.error("page {} failed", request.getRequestURI(), e);
        String id = RequestInfo.current().map(RequestInfo::requestId).orElse("unknown");
        return render(HttpStatus.INTERNAL_SERVER_ERROR,
                "Something went wrong on our side. If it keeps happening, quote request id " + id + ".", request,
                response, model);
    }

    private static String render(HttpStatusCode status, String message, HttpServletRequest request,
            HttpServletResponse response, Model model) {
        response.setStatus(status.value());
        model.addAttribute("status", status.value());
        model.addAttribute("message", message);
        if ("true".equals(request.getHeader("HX-Request"))) {
            response.setHeader("HX-Retarget", "#flash");
            response.setHeader("HX-Reswap", "innerHTML");
            return "fragments :: flash-message";
        }
        return "error-page";
    }
}
