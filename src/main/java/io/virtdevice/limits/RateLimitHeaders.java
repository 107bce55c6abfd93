package io.virtdevice.limits;

/** The field names of draft-ietf-httpapi-ratelimit-headers-11. */
public final class RateLimitHeaders {

    public static final String POLICY = "RateLimit-Policy";
    public static final String STATE = "RateLimit";

    private RateLimitHeaders() {}
}
