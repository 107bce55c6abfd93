package io.virtdevice.limits;

import io.virtdevice.platform.web.ApiProblem;
import io.virtdevice.platform.web.ProblemTypes;
import java.net.URI;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;

/**
 * 429: a published limit refused the request. The problem's type names the limit
 * ({@code https://virtdevice.io/problems/rate-limit/<limit>}); its members say which plan's quota it was
 * ({@code plan}, {@code limit}, {@code window}) and which plan lifts it ({@code liftedBy}, absent when none
 * does); {@code Retry-After} and the limit's {@code RateLimit-Policy}/{@code RateLimit} items go with it.
 * Alexa and IFTTT callers catch it and answer in their own protocol's shape.
 */
public class RateLimited extends ApiProblem {

    private final transient Decision decision;

    RateLimited(Decision decision, String liftedBy) {
        super(HttpStatus.TOO_MANY_REQUESTS, type(decision.limit()), "Rate limit reached",
                detail(decision, liftedBy));
        this.decision = decision;
        with("limit", decision.limit().policy());
        with("plan", decision.plan());
        with("quota", decision.quota().limit());
        with("window", decision.quota().window().toSeconds());
        with("retryAfter", decision.retryAfterSeconds());
        if (liftedBy != null) {
            with("liftedBy", liftedBy);
        }
        getHeaders().set(HttpHeaders.RETRY_AFTER, Long.toString(decision.retryAfterSeconds()));
        getHeaders().add(RateLimitHeaders.POLICY, decision.policyItem());
        getHeaders().add(RateLimitHeaders.STATE, decision.stateItem());
    }

    public static URI type(RateLimit limit) {
        return ProblemTypes.of("rate-limit/" + limit.policy());
    }

    public Decision decision() {
        return decision;
    }

    /** Seconds until the request may be repeated. */
    public long retryAfterSeconds() {
        return decision.retryAfterSeconds();
    }

    private static String detail(Decision decision, String liftedBy) {
        if (decision.limit() == RateLimit.ANONYMOUS_REQUESTS) {
            return "Requests without a valid credential are limited to " + decision.quota().text()
                    + " per client address; retry in " + decision.retryAfterSeconds()
                    + " s, or sign in or send a valid API key, which count on their own quota.";
        }
        String plan = RateLimitSettings.SELF_HOSTED.equals(decision.plan()) ? "This instance"
                : "The " + decision.plan() + " plan";
        return plan + " allows " + decision.quota().limit() + " " + decision.limit().description() + " per "
                + decision.quota().text().substring(decision.quota().text().indexOf(" per ") + 5) + "; retry in "
                + decision.retryAfterSeconds() + " s"
                + (liftedBy == null ? "." : ", or move to the " + liftedBy + " plan, which allows more.");
    }
}
