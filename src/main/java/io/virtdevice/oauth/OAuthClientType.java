package io.virtdevice.oauth;

import java.util.Locale;

/** The kinds of client, as the database's {@code oauth_client_type}; each has its own refresh-token rules. */
public enum OAuthClientType {
    WEB,
    ALEXA,
    IFTTT,
    MOBILE;

    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }

    static OAuthClientType of(String code) {
        return valueOf(code.toUpperCase(Locale.ROOT));
    }

    /**
     * Alexa and IFTTT must keep working with the previous refresh token for a while after a refresh (both
     * platforms require it); web and mobile get strict rotation with reuse detection.
     */
    boolean hasRefreshGracePeriod() {
        return this == ALEXA || this == IFTTT;
    }

    boolean isPublic() {
        return this == MOBILE;
    }
}
