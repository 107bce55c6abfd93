package io.virtdevice.limits;

import java.util.Locale;

/**
 * The published limits. Each has a policy name (the {@code RateLimit-Policy} item and the configuration key
 * under {@code virtdevice.limits.plans.<plan>}) and its own problem type.
 */
public enum RateLimit {
    /** REST requests per API key or OAuth token (per user for the browser session). */
    API_REQUESTS("API requests"),
    /**
     * REST requests without a valid credential (sign-up, login, reset, and unknown or expired keys' 401s) per
     * client address, always under the anonymous plan.
     */
    ANONYMOUS_REQUESTS("API requests without a valid credential"),
    /** Device changes per device, from every source (REST, URL triggers, dashboard, Alexa, IFTTT). */
    DEVICE_CHANGES("changes of one device"),
    /** Device changes per user, from every source. */
    USER_CHANGES("device changes"),
    /** URL-trigger fires per trigger link. */
    URL_TRIGGER_FIRES("URL-trigger fires"),
    /** Webhook test sends per user. */
    WEBHOOK_TESTS("webhook test sends"),
    /** Sign-up, password-reset and invitation mails per address and per sender. */
    MAILS("mails"),
    /** OAuth token requests per client. */
    OAUTH_TOKEN_REQUESTS("OAuth token requests"),
    /**
     * Alexa proactive events (ChangeReports, doorbell presses, discovery updates) per user: the user's share
     * of the skill's Event Gateway budget. Never refused: an event over it waits, coalescing later changes.
     */
    ALEXA_EVENTS("Alexa events");

    private final String description;
    private final String policy;

    RateLimit(String description) {
        this.description = description;
        this.policy = name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** {@code api-requests}, {@code device-changes}, …: the policy name, the configuration key, the problem slug. */
    public String policy() {
        return policy;
    }

    /** What each bucket of this limit belongs to: "API key or token", "device", "user", … */
    public String per() {
        return switch (this) {
            case API_REQUESTS -> "API key or token (the browser session: user)";
            case ANONYMOUS_REQUESTS -> "client address (IPv6: its /64)";
            case DEVICE_CHANGES -> "device";
            case USER_CHANGES, WEBHOOK_TESTS, ALEXA_EVENTS -> "user";
            case URL_TRIGGER_FIRES -> "trigger link";
            case MAILS -> "recipient address (invitations: also sender)";
            case OAUTH_TOKEN_REQUESTS -> "OAuth client";
        };
    }

    /** Whether the dashboard can show the signed-in user's own use of it (one bucket per user). */
    public boolean perUser() {
        return this == API_REQUESTS || this == USER_CHANGES || this == WEBHOOK_TESTS || this == ALEXA_EVENTS;
    }

    /** What is counted, for people: "API requests", "changes of one device", … */
    public String description() {
        return description;
    }
}
