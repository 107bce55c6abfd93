package io.virtdevice.devices;

import io.virtdevice.platform.web.ApiProblem;
import io.virtdevice.platform.web.ProblemTypes;
import org.springframework.http.HttpStatus;

/** The user already has a device of that name (names are unique per user, ignoring case). */
public class DeviceNameTaken extends ApiProblem {

    public DeviceNameTaken(String name) {
        super(HttpStatus.CONFLICT, ProblemTypes.CONFLICT, "Conflict",
                "You already have a device named '" + name + "'.");
        getBody().setProperty("field", "name");
    }
}
