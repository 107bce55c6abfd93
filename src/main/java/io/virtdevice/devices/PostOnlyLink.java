package io.virtdevice.devices;

import io.virtdevice.platform.web.ApiProblem;
import io.virtdevice.platform.web.ProblemTypes;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;

/** A GET on a POST-only URL-trigger link: 405 with {@code Allow: POST}; nothing was changed or counted. */
class PostOnlyLink extends ApiProblem {

    PostOnlyLink() {
        super(HttpStatus.METHOD_NOT_ALLOWED, ProblemTypes.METHOD_NOT_ALLOWED, "Method not allowed",
                "This link fires only on POST.");
        getHeaders().set(HttpHeaders.ALLOW, "POST");
    }
}
