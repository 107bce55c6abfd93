package io.virtdevice.events;

import io.virtdevice.platform.web.ApiProblem;
import io.virtdevice.platform.web.ProblemTypes;
import org.springframework.http.HttpStatus;

/** The user (or this instance) already has as many live streams open as allowed. */
class TooManyStreams extends ApiProblem {

    TooManyStreams(int limit) {
        super(HttpStatus.TOO_MANY_REQUESTS, ProblemTypes.TOO_MANY_REQUESTS, "Too many streams",
                "At most " + limit + " live event streams may be open at once; close one first.");
        with("limit", limit);
    }
}
