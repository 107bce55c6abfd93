package io.virtdevice.limits;

import java.util.UUID;

/**
 * Where a user's plan tier ("free", "pro", "business") comes from: implemented by the accounts module (which
 * knows subscriptions). {@link RateLimiter} caches the answer for {@code virtdevice.limits.plan-cache-ttl}.
 */
public interface PlanSource {

    String tier(UUID tenantId, UUID userId);
}
