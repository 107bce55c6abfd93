package io.virtdevice.limits;

import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.HttpHeaders;

/** The field names of draft-ietf-httpapi-ratelimit-headers-11. */
public final class RateLimitHeaders {

    public static final String POLICY = "RateLimit-Policy";
    public static final String STATE = "RateLimit";

    private RateLimitHeaders() {}

    /** Sets the decision's fields on the response (when its plan sets the limit); whether it allows. */
    static boolean announceAndAllow(Decision decision, HttpServletResponse response) {
        if (decision.limited()) {
            response.setHeader(POLICY, decision.policyItem());
            response.setHeader(STATE, decision.stateItem());
        }
        if (!decision.allowed()) {
            response.setStatus(429);
            response.setHeader(HttpHeaders.RETRY_AFTER, Long.toString(decision.retryAfterSeconds()));
        }
        return decision.allowed();
    }
}
