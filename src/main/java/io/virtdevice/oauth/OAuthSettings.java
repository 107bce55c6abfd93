package io.virtdevice.oauth;

import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The authorization server's settings ({@code virtdevice.oauth.*}). A client is served only when it is
 * configured here; confidential clients take their secret from here (usually an environment variable) or,
 * when none is configured, from the rotation command ({@code --virtdevice.oauth.rotate-secret=<client-id>}).
 *
 * @param accessTokenLifetime access tokens of every client (Alexa needs at least 6 minutes)
 * @param refreshTokenLifetime refresh tokens of the web and mobile clients (each rotation starts a new one);
 *     Alexa's and IFTTT's never expire
 * @param refreshGracePeriod how long a rotated refresh token of Alexa or IFTTT keeps working
 * @param refreshRaceWindow how long the web and mobile apps may present their just-rotated refresh token again
 *     (two refreshes racing, RFC 9700 §4.14.2): each such request gets a fresh pair of the same grant instead of
 *     tripping reuse detection; once the window is over, or once the grant rotated again, reuse still revokes it
 * @param tokenCacheTtl how long a resolved access token is trusted without asking the database, which bounds
 *     how late a revocation made on another instance takes effect
 * @param rotateSecret a client id: start, rotate that client's secret, print it once, exit
 */
@ConfigurationProperties("virtdevice.oauth")
record OAuthSettings(
        @DefaultValue("1h") Duration accessTokenLifetime,
        @DefaultValue("30d") Duration refreshTokenLifetime,
        @DefaultValue("24h") Duration refreshGracePeriod,
        @DefaultValue("10s") Duration refreshRaceWindow,
        @DefaultValue("5s") Duration tokenCacheTtl,
        @DefaultValue Clients clients,
        String rotateSecret) {

    /** The four clients VirtDevice knows; each is off until configured. */
    record Clients(@DefaultValue Web web, @DefaultValue Alexa alexa, @DefaultValue Ifttt ifttt,
            @DefaultValue Mobile mobile) {}

    /**
     * The VirtDevice web front end (confidential).
     *
     * @param redirectUris exact callback URLs; the client is off without any
     * @param scopes what the client may be granted (a subset of read, write; default both), here and below
     */
    record Web(@DefaultValue("virtdevice-web") String clientId, String clientSecret, List<String> redirectUris,
            @DefaultValue("true") boolean requirePkce, List<String> scopes) {}

    /**
     * Alexa account linking (confidential).
     *
     * @param vendorId the vendor id from the Alexa developer console; the client is off without it
     * @param requirePkce true once PKCE is enabled in the skill's account-linking settings
     */
    record Alexa(@DefaultValue("alexa-smart-home") String clientId, String vendorId, String clientSecret,
            @DefaultValue("false") boolean requirePkce, List<String> scopes) {}

    /**
     * The IFTTT service connection (confidential).
     *
     * @param serviceId the IFTTT service id; the client is off without it
     */
    record Ifttt(@DefaultValue("ifttt-service") String clientId, String serviceId, String clientSecret,
            List<String> scopes) {}

    /**
     * The mobile app (public, PKCE always required).
     *
     * @param redirectUris exact callback URLs (a private-use scheme such as {@code io.virtdevice.app:/oauth2},
     *     or https); the client is off without any
     */
    record Mobile(@DefaultValue("virtdevice-mobile") String clientId, List<String> redirectUris, List<String> scopes) {}
}
