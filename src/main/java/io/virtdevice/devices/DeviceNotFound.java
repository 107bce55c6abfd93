package io.virtdevice.devices;

import io.virtdevice.platform.web.ApiProblem;
import io.virtdevice.platform.web.ProblemTypes;
import org.springframework.http.HttpStatus;

/**
 * No device with this id is visible to the caller: it does not exist, or belongs to someone else (the two
 * are deliberately indistinguishable).
 */
public class DeviceNotFound extends ApiProblem {

    public DeviceNotFound() {
        super(HttpStatus.NOT_FOUND, ProblemTypes.NOT_FOUND, "Not found", "Device was not found.");
    }
}
