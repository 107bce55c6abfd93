package io.virtdevice.activity;

/** Everything the activity log records; stored as the lower-case name (the design's vocabulary). */
public enum ActivityAction {
    DEVICE_CREATED,
    DEVICE_UPDATED,
    DEVICE_DELETED,
    PROPERTY_CHANGED,
    DOORBELL_PRESSED,
    USER_SIGNED_UP,
    USER_LOGIN,
    USER_LOGOUT,
    EMAIL_VERIFIED,
    PASSWORD_CHANGED,
    PASSWORD_RESET,
    ACCOUNT_DELETED,
    TENANT_UPDATED,
    MEMBER_INVITED,
    INVITATION_REVOKED,
    MEMBER_JOINED,
    MEMBER_ROLE_CHANGED,
    MEMBER_REMOVED,
    API_KEY_CREATED,
    API_KEY_REVOKED,
    OAUTH_APP_CONNECTED,
    OAUTH_APP_DISCONNECTED,
    URL_TRIGGER_CREATED,
    URL_TRIGGER_REVOKED,
    WEBHOOK_CREATED,
    WEBHOOK_UPDATED,
    WEBHOOK_DELETED,
    WEBHOOK_SECRET_ROTATED,
    WEBHOOK_DISABLED,
    SUBSCRIPTION_CREATED,
    SUBSCRIPTION_UPDATED,
    ALEXA_COMMAND,
    ALEXA_LINKED,
    ALEXA_LINK_REVOKED,
    ALEXA_LINK_UNAUTHORIZED,
    IFTTT_TRIGGER,
    IFTTT_ACTION;

    public String code() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static java.util.Optional<ActivityAction> fromCode(String code) {
        for (ActivityAction a : values()) {
            if (a.code().equals(code)) {
                return java.util.Optional.of(a);
            }
        }
        return java.util.Optional.empty();
    }
}
