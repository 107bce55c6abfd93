package io.virtdevice.accounts;

import io.virtdevice.platform.web.ApiProblem;
import io.virtdevice.platform.web.ProblemTypes;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;

/** A signed-in user confirmed a sensitive change with the wrong current password. */
public class WrongPassword extends ApiProblem {

    public WrongPassword(String field) {
        super(HttpStatus.BAD_REQUEST, ProblemTypes.VALIDATION, "Invalid request", field + ": is not your current password");
        with("errors", List.of(Map.of("field", field, "message", "is not your current password")));
    }
}
