package io.virtdevice.alexa;

import java.time.Instant;

/**
 * A usable Login-with-Amazon access token of one user's Alexa link: what goes into a proactive event's
 * {@code scope.token} and its {@code Authorization: Bearer} header, and the regional gateway to send it to.
 */
public record LwaToken(String accessToken, AlexaRegion region, Instant expiresAt) {

    @Override
    public String toString() {
        return "LwaToken[region=" + region + ", expiresAt=" + expiresAt + "]";
    }
}
