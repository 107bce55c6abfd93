package io.virtdevice.alexa;

import java.time.Instant;

/**
 * A user's Alexa link as the diagnostics show it (never a token).
 *
 * @param status {@code active}, {@code unauthorized} or {@code revoked}
 * @param statusReason why the link is not active (the gateway's or LWA's answer), null when active
 * @param statusChangedAt when the status last changed
 * @param accessTokenExpiresAt when the current LWA access token expires (null once revoked)
 * @param lastRefreshAt the last successful refresh, null when none yet
 * @param linkedAt when AcceptGrant stored the link
 */
public record AlexaLinkState(
        AlexaRegion region,
        String status,
        String statusReason,
        Instant statusChangedAt,
        Instant accessTokenExpiresAt,
        Instant lastRefreshAt,
        Instant linkedAt) {}
