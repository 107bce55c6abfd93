package io.virtdevice.accounts;

import io.virtdevice.platform.web.ApiProblem;
import io.virtdevice.platform.web.ProblemTypes;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;

/** Another tenant already uses the requested slug. */
public class SlugTaken extends ApiProblem {

    public SlugTaken() {
        super(HttpStatus.CONFLICT, ProblemTypes.CONFLICT, "Conflict", "tenantSlug: is already taken");
        with("errors", List.of(Map.of("field", "tenantSlug", "message", "is already taken")));
    }
}
