package io.virtdevice.accounts;

import io.virtdevice.platform.web.ApiProblem;
import io.virtdevice.platform.web.ProblemTypes;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;

/** Every password-hashing slot stayed busy too long: shed load instead of queueing without bound. */
public class PasswordHashingBusy extends ApiProblem {

    public PasswordHashingBusy() {
        super(HttpStatus.SERVICE_UNAVAILABLE, ProblemTypes.SERVICE_BUSY, "Busy",
                "The server is busy. Try again in a few seconds.");
        getHeaders().set(HttpHeaders.RETRY_AFTER, "5");
    }
}
