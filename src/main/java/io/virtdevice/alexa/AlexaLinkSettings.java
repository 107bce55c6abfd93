package io.virtdevice.alexa;

import java.net.URI;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The users' links to Login with Amazon ({@code virtdevice.alexa.*}, docs/alexa.md "AcceptGrant and Login with
 * Amazon"): the skill's messaging credentials, where and how long to ask LWA, the region of a directive whose
 * Lambda did not say, and how long a deleted user's link stays usable.
 *
 * @param messaging the skill's "Alexa Skill Messaging" client id and secret (developer console, Build >
 *     Permissions): never the account-linking or an LWA security profile's credentials
 * @param lwa Login with Amazon's token endpoint
 * @param defaultRegion the region of an AcceptGrant whose Lambda sent no {@code X-VirtDevice-Alexa-Region}
 * @param retiredLinkWindow how long the link of a deleted user (account deletion, member removal) still gives
 *     tokens: long enough for the DeleteReports of their devices, which are sent after the deletion committed
 */
@ConfigurationProperties("virtdevice.alexa")
record AlexaLinkSettings(
        @DefaultValue Messaging messaging,
        @DefaultValue Lwa lwa,
        @DefaultValue("NA") AlexaRegion defaultRegion,
        @DefaultValue("1h") Duration retiredLinkWindow) {

    AlexaLinkSettings {
        if (retiredLinkWindow.isNegative() || retiredLinkWindow.compareTo(Duration.ofDays(1)) > 0) {
            throw new IllegalArgumentException("virtdevice.alexa.retired-link-window must be between 0 and 1 day");
        }
    }

    /** The skill's messaging credentials; AcceptGrant fails (ACCEPT_GRANT_FAILED) while they are not set. */
    record Messaging(String clientId, String clientSecret) {

        boolean configured() {
            return clientId != null && !clientId.isBlank() && clientSecret != null && !clientSecret.isBlank();
        }

        @Override
        public String toString() {
            return "Messaging[clientId=" + clientId + "]";
        }
    }

    /**
     * @param tokenUrl LWA's token endpoint (the code exchange and every refresh)
     * @param timeout the most one LWA call may take, connecting included: an AcceptGrant must be answered well
     *     within Alexa's 8 s (the Lambda gives the backend about 7 s)
     * @param refreshRetryDelay after a transient LWA failure (5xx, time-out, network), how long a link keeps its
     *     current token before the next refresh attempt
     */
    record Lwa(
            @DefaultValue("https://api.amazon.com/auth/o2/token") URI tokenUrl,
            @DefaultValue("4s") Duration timeout,
            @DefaultValue("30s") Duration refreshRetryDelay) {

        Lwa {
            String scheme = tokenUrl.getScheme();
            if (!"https".equalsIgnoreCase(scheme) && !"http".equalsIgnoreCase(scheme) || tokenUrl.getHost() == null) {
                throw new IllegalArgumentException("virtdevice.alexa.lwa.token-url must be an http(s) URL");
            }
            if (timeout.compareTo(Duration.ofMillis(100)) < 0 || timeout.compareTo(Duration.ofSeconds(6)) > 0) {
                throw new IllegalArgumentException("virtdevice.alexa.lwa.timeout must be between 100ms and 6s "
                        + "(an AcceptGrant is answered within Alexa's 8 s)");
            }
            if (refreshRetryDelay.isNegative()) {
                throw new IllegalArgumentException("virtdevice.alexa.lwa.refresh-retry-delay must not be negative");
            }
        }
    }
}
