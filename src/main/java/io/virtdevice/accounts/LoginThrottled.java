package io.virtdevice.accounts;

import io.virtdevice.platform.web.ApiProblem;
import io.virtdevice.platform.web.ProblemTypes;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;

/** Too many failed sign-ins for this email or from this address; carries {@code Retry-After}. */
public class LoginThrottled extends ApiProblem {

    public LoginThrottled(int retryAfterSeconds) {
        super(HttpStatus.TOO_MANY_REQUESTS, ProblemTypes.TOO_MANY_REQUESTS, "Too many sign-in attempts",
                "Too many failed sign-ins. Try again in " + retryAfterSeconds + " seconds.");
        with("retryAfter", retryAfterSeconds);
        getHeaders().set(HttpHeaders.RETRY_AFTER, Integer.toString(retryAfterSeconds));
    }
}
