package io.virtdevice.limits;

import java.time.Duration;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code virtdevice.limits}: the quotas of each plan. A limit a plan does not list is unlimited for it; the
 * self-hosted plan (billing mode {@code none}) lists none by default.
 *
 * @param plans {@code self-hosted}, {@code free}, {@code pro}, {@code business}: limit name → quota
 * @param planCacheTtl how long a user's plan is cached per instance; a plan change takes effect within it
 * @param backend {@code auto} (Redis when {@code spring.data.redis} is configured, else PostgreSQL),
 *     {@code postgresql} or {@code redis}
 * @param localShare the share of a quota (0 to 0.5) an instance may take from its local copy of a bucket
 *     before it writes what it took to the shared store; 0 asks the store on every check (exact, dearer).
 *     A quota whose share is less than one unit is always exact (docs/rate-limits.md, "How exact")
 * @param syncInterval the longest an instance answers from its local copy of a bucket before asking the store
 */
@ConfigurationProperties("virtdevice.limits")
record RateLimitSettings(Map<String, Map<RateLimit, Quota>> plans, Duration planCacheTtl, String backend,
        Double localShare, Duration syncInterval) {

    static final String SELF_HOSTED = "self-hosted";

    /** The order in which plans lift limits: an upgrade goes to the right. */
    static final List<String> UPGRADES = List.of("free", "pro", "business");

    RateLimitSettings {
        Map<String, Map<RateLimit, Quota>> copy = new LinkedHashMap<>();
        if (plans != null) {
            plans.forEach((plan, quotas) ->
                    copy.put(plan, quotas == null || quotas.isEmpty() ? Map.of() : new EnumMap<>(quotas)));
        }
        plans = copy;
        planCacheTtl = planCacheTtl == null ? Duration.ofSeconds(60) : planCacheTtl;
        backend = backend == null || backend.isBlank() ? "auto" : backend.strip();
        if (!List.of("auto", "postgresql", "redis").contains(backend)) {
            throw new IllegalArgumentException("virtdevice.limits.backend must be auto, postgresql or redis, not '"
                    + backend + "'");
        }
        localShare = localShare == null ? 0.01 : localShare;
        if (!(localShare >= 0 && localShare <= 0.5)) {
            throw new IllegalArgumentException("virtdevice.limits.local-share must be between 0 and 0.5, not "
                    + localShare);
        }
        syncInterval = syncInterval == null ? Duration.ofSeconds(1) : syncInterval;
        if (syncInterval.isNegative() || syncInterval.isZero()) {
            throw new IllegalArgumentException("virtdevice.limits.sync-interval must be positive, not " + syncInterval);
        }
    }

    /**
     * How many units of {@code quota} an instance may take locally between two writes to the shared store:
     * {@code floor(limit × localShare)}; 0 means every check asks the store.
     */
    long localUnits(Quota quota) {
        return (long) Math.floor(quota.limit() * localShare);
    }

    Optional<Quota> quota(String plan, RateLimit limit) {
        return Optional.ofNullable(plans.getOrDefault(plan, Map.of()).get(limit));
    }

    /** The next plan up whose quota for the limit is larger (or unlimited), if any. */
    Optional<String> liftedBy(String plan, RateLimit limit) {
        int at = UPGRADES.indexOf(plan);
        if (at < 0) {
            return Optional.empty();
        }
        Quota current = quota(plan, limit).orElse(null);
        for (String next : UPGRADES.subList(at + 1, UPGRADES.size())) {
            Quota better = quota(next, limit).orElse(null);
            if (current != null && (better == null || perSecond(better) > perSecond(current))) {
                return Optional.of(next);
            }
        }
        return Optional.empty();
    }

    private static double perSecond(Quota quota) {
        return (double) quota.limit() / quota.window().toSeconds();
    }
}
