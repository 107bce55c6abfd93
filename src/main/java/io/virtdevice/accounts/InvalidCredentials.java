package io.virtdevice.accounts;

import io.virtdevice.platform.web.ApiProblem;
import io.virtdevice.platform.web.ProblemTypes;
import org.springframework.http.HttpStatus;

/** Wrong password or unknown email: deliberately one answer for both, so it reveals no account. */
public class InvalidCredentials extends ApiProblem {

    public InvalidCredentials() {
        super(HttpStatus.UNAUTHORIZED, ProblemTypes.INVALID_CREDENTIALS, "Invalid credentials",
                "The email or password is incorrect.");
    }
}
