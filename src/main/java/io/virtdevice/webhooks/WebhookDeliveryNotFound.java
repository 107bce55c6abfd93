package io.virtdevice.webhooks;

import io.virtdevice.platform.web.ApiProblem;
import io.virtdevice.platform.web.ProblemTypes;
import org.springframework.http.HttpStatus;

/** The webhook has no delivery with this id. */
public class WebhookDeliveryNotFound extends ApiProblem {

    public WebhookDeliveryNotFound() {
        super(HttpStatus.NOT_FOUND, ProblemTypes.NOT_FOUND, "Not found", "Delivery was not found.");
    }
}
