package io.virtdevice.limits;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One limit's answer for one request: allowed or not, what is left, and when it is full again. A limit the
 * plan does not set ({@code quota == null}) always allows and announces nothing.
 *
 * @param remaining units left after this request
 * @param resetSeconds seconds until the quota is whole again
 * @param retryAfterSeconds for a refusal: seconds until one unit is available again (rounded up)
 * @param retryAfterNanos the same, exactly
 */
public record Decision(RateLimit limit, String plan, Quota quota, boolean allowed, long remaining, long resetSeconds,
        long retryAfterSeconds, long retryAfterNanos) {

    /** The {@code RateLimit-Policy} items by quota and limit (a handful: the configured quotas). */
    private static final Map<Quota, Map<RateLimit, String>> POLICY_ITEMS = new ConcurrentHashMap<>();

    static Decision unlimited(RateLimit limit, String plan) {
        return new Decision(limit, plan, null, true, Long.MAX_VALUE, 0, 0, 0);
    }

    public boolean limited() {
        return quota != null;
    }

    /** Units used of the quota (for the dashboard). */
    public long used() {
        return quota == null ? 0 : Math.max(0, quota.limit() - remaining);
    }

    /**
     * This limit's item of the {@code RateLimit-Policy} field (draft-ietf-httpapi-ratelimit-headers-11 §4):
     * {@code "api-requests";q=600;w=60}.
     */
    public String policyItem() {
        // the same for every response under a quota: formatted once per quota and limit
        return POLICY_ITEMS.computeIfAbsent(quota, q -> new ConcurrentHashMap<>())
                .computeIfAbsent(limit, l -> "\"" + l.policy() + "\";q=" + quota.limit() + ";w="
                        + quota.window().toSeconds());
    }

    /**
     * This limit's item of the {@code RateLimit} field (§5): {@code "api-requests";r=42;t=30}. {@code t} is
     * the time until the quota is whole again; on a refusal it is the time until the next unit, the same as
     * {@code Retry-After}: the draft's {@code t} is "the time until additional quota is made available", and a
     * {@code Retry-After} earlier than {@code t} is what its server-behavior section says not to send.
     */
    public String stateItem() {
        return "\"" + limit.policy() + "\";r=" + remaining + ";t=" + (allowed ? resetSeconds : retryAfterSeconds);
    }
}
