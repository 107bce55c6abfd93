package io.virtdevice.accounts;

import io.virtdevice.platform.web.ApiProblem;
import io.virtdevice.platform.web.ProblemTypes;
import org.springframework.http.HttpStatus;

/** An e-mailed link token that is unknown, expired or already used (one answer for all three). */
public class InvalidToken extends ApiProblem {

    public InvalidToken() {
        super(HttpStatus.BAD_REQUEST, ProblemTypes.INVALID_TOKEN, "Invalid or expired link",
                "This link is invalid, has expired or has already been used. Request a new one.");
    }
}
