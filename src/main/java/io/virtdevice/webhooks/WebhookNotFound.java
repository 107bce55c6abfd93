package io.virtdevice.webhooks;

import io.virtdevice.platform.web.ApiProblem;
import io.virtdevice.platform.web.ProblemTypes;
import org.springframework.http.HttpStatus;

/** No webhook with this id is visible to the caller (missing or someone else's: indistinguishable). */
public class WebhookNotFound extends ApiProblem {

    public WebhookNotFound() {
        super(HttpStatus.NOT_FOUND, ProblemTypes.NOT_FOUND, "Not found", "Webhook was not found.");
    }
}
