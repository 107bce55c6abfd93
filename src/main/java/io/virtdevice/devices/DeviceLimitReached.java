package io.virtdevice.devices;

import io.virtdevice.platform.web.ApiProblem;
import io.virtdevice.platform.web.ProblemTypes;
import org.springframework.http.HttpStatus;

/** The user's plan allows no more devices; the problem carries the limit as the {@code limit} member. */
public class DeviceLimitReached extends ApiProblem {

    private final int limit;

    public DeviceLimitReached(int limit) {
        super(HttpStatus.CONFLICT, ProblemTypes.PLAN_LIMIT_REACHED, "Plan limit reached",
                "Your plan allows " + limit + (limit == 1 ? " device." : " devices.")
                        + " Delete a device or upgrade your plan to add another.");
        this.limit = limit;
        getBody().setProperty("limit", limit);
    }

    public int limit() {
        return limit;
    }
}
