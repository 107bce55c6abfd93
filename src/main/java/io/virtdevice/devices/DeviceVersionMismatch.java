package io.virtdevice.devices;

import io.virtdevice.platform.web.ApiProblem;
import io.virtdevice.platform.web.ProblemTypes;
import org.springframework.http.HttpStatus;

/** The caller's If-Match version is not the device's current version: someone changed it meanwhile. */
public class DeviceVersionMismatch extends ApiProblem {

    public DeviceVersionMismatch(long currentVersion) {
        super(HttpStatus.PRECONDITION_FAILED, ProblemTypes.PRECONDITION_FAILED, "Precondition failed",
                "The device has changed since you read it (it is now at version " + currentVersion
                        + "). Read it again and retry.");
        getBody().setProperty("currentVersion", currentVersion);
    }
}
