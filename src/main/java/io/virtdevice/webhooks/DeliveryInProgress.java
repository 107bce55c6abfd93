package io.virtdevice.webhooks;

import io.virtdevice.platform.web.ApiProblem;
import io.virtdevice.platform.web.ProblemTypes;
import org.springframework.http.HttpStatus;

/** A redelivery was asked for a message that still has an attempt scheduled. */
public class DeliveryInProgress extends ApiProblem {

    public DeliveryInProgress() {
        super(HttpStatus.CONFLICT, ProblemTypes.CONFLICT, "Conflict",
                "This delivery still has an attempt scheduled; redeliver it once it has succeeded or failed.");
    }
}
