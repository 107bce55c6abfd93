package io.virtdevice.devices;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** Who asked for a change; recorded on properties, events and the activity log. */
public enum ChangeSource {
    WEB,
    API,
    ALEXA,
    IFTTT,
    TRIGGER,
    SYSTEM;

    @JsonValue
    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The source for a request's credential, as {@code CurrentUser.source()} names it ("web" or "api"). */
    public static ChangeSource of(String code) {
        return valueOf(code.toUpperCase(Locale.ROOT));
    }
}
