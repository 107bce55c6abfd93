package io.virtdevice.webhooks;

import io.virtdevice.platform.web.ApiProblem;
import io.virtdevice.platform.web.ProblemTypes;
import org.springframework.http.HttpStatus;

/** The user already has as many webhooks as allowed. */
public class WebhookLimitReached extends ApiProblem {

    public WebhookLimitReached(int limit) {
        super(HttpStatus.CONFLICT, ProblemTypes.PLAN_LIMIT_REACHED, "Webhook limit reached",
                "You can have at most " + limit + " webhooks; delete one first.");
        with("limit", limit);
    }
}
