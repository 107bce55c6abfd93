package io.virtdevice.limits;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.virtdevice.platform.tenancy.TenantContext;
import io.virtdevice.platform.tenancy.TenantScope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Service;

/**
 * The limits module's API: takes one unit from a limit's shared bucket and says whether the request may go
 * on. Buckets live in PostgreSQL or Redis ({@link LimitBuckets}), so a quota holds across every instance.
 * A user's plan is read from the {@link PlanSource} and cached for {@code virtdevice.limits.plan-cache-ttl};
 * with {@code virtdevice.billing.mode=none} every user is on the {@code self-hosted} plan.
 *
 * <p>When the bucket store cannot be reached the request is allowed (and counted in
 * {@code virtdevice.rate_limit.unavailable}): a limit protects the service, and refusing everything while the
 * database is away would not.
 */
@Service
public class RateLimiter {

    private static final Logger log = LoggerFactory.getLogger(RateLimiter.class);

    private final RateLimitSettings settings;
    private final ProxyManager<String> buckets;
    private final ObjectProvider<PlanSource> planSource;
    private final boolean billing;
    private final Cache<UUID, String> tiers;
    private final MeterRegistry meters;
    private final Map<String, Counter> refusals = new ConcurrentHashMap<>();
    private final Map<Quota, BucketConfiguration> configurations = new ConcurrentHashMap<>();

    RateLimiter(RateLimitSettings settings, LimitBuckets buckets, ObjectProvider<PlanSource> planSource,
            @Value("${virtdevice.billing.mode:none}") String billingMode, MeterRegistry meters) {
        this.settings = settings;
        this.buckets = buckets.proxyManager();
        this.planSource = planSource;
        this.billing = !billingMode.strip().toLowerCase(Locale.ROOT).matches("none|");
        this.tiers = Caffeine.newBuilder().expireAfterWrite(settings.planCacheTtl()).maximumSize(100_000).build();
        this.meters = meters;
    }

    /** The user's plan: their subscription's tier, or {@code self-hosted} without billing. */
    public String plan(TenantContext user) {
        if (!billing) {
            return RateLimitSettings.SELF_HOSTED;
        }
        return tiers.get(user.userId(), id -> {
            PlanSource source = planSource.getIfAvailable();
            String tier = source == null ? null : source.tier(user.tenantId(), user.userId());
            return tier == null || tier.isBlank() ? "free" : tier;
        });
    }

    /** The plan of requests nobody is signed in for (sign-up and reset mails, anonymous API calls). */
    public String anonymousPlan() {
        return billing ? "free" : RateLimitSettings.SELF_HOSTED;
    }

    /** Takes one unit from {@code key}'s bucket of {@code limit} under the user's plan. */
    public Decision consume(RateLimit limit, TenantContext user, String key) {
        return consume(limit, plan(user), key);
    }

    /** Takes one unit from {@code key}'s bucket of {@code limit} under {@code plan}. */
    public Decision consume(RateLimit limit, String plan, String key) {
        Quota quota = settings.quota(plan, limit).orElse(null);
        if (quota == null) {
            return Decision.unlimited(limit, plan);
        }
        try {
            ConsumptionProbe probe = buckets.builder().build(bucketKey(limit, quota, key), () -> configuration(quota))
                    .tryConsumeAndReturnRemaining(1);
            Decision decision = new Decision(limit, plan, quota, probe.isConsumed(), probe.getRemainingTokens(),
                    seconds(probe.getNanosToWaitForReset()), Math.max(1, seconds(probe.getNanosToWaitForRefill())),
                    probe.getNanosToWaitForRefill());
            if (!decision.allowed()) {
                refusals.computeIfAbsent(limit.policy() + "/" + plan, k -> Counter.builder("virtdevice.rate_limit.refused")
                        .description("Requests refused by a published rate limit")
                        .tag("limit", limit.policy()).tag("plan", plan).register(meters)).increment();
            }
            return decision;
        } catch (RuntimeException e) {
            log.warn("rate limit {} not checked (bucket store unavailable): {}", limit.policy(), e.toString());
            meters.counter("virtdevice.rate_limit.unavailable").increment();
            return Decision.unlimited(limit, plan);
        }
    }

    /** {@link #consume} that throws {@link RateLimited} (429) when the limit refuses. */
    public Decision enforce(RateLimit limit, TenantContext user, String key) {
        return enforce(consume(limit, user, key));
    }

    /** {@link #consume} under {@code plan} that throws {@link RateLimited} (429) when the limit refuses. */
    public Decision enforce(RateLimit limit, String plan, String key) {
        return enforce(consume(limit, plan, key));
    }

    /**
     * One device change, from any source: the device's and the user's bucket each give one unit, or the
     * change is refused with {@link RateLimited}.
     */
    public void enforceChange(TenantContext user, UUID deviceId) {
        String plan = plan(user);
        enforce(consume(RateLimit.DEVICE_CHANGES, plan, deviceId.toString()));
        enforce(consume(RateLimit.USER_CHANGES, plan, user.userId().toString()));
    }

    /** {@link #enforceChange(TenantContext, UUID)} for the user whose tenant scope is bound (every entry point's). */
    public void enforceChange(UUID deviceId) {
        enforceChange(TenantScope.current().orElseThrow(() -> new IllegalStateException("no tenant scope")), deviceId);
    }

    /** {@link #enforce(RateLimit, TenantContext, String)} for the user whose tenant scope is bound. */
    public Decision enforce(RateLimit limit, String key) {
        return enforce(limit, TenantScope.current().orElseThrow(() -> new IllegalStateException("no tenant scope")),
                key);
    }

    /** The refusal for a decision that did not allow, with the plan that lifts the limit. */
    public RateLimited refusal(Decision decision) {
        return new RateLimited(decision, settings.liftedBy(decision.plan(), decision.limit()).orElse(null));
    }

    /**
     * What the user's plan allows and how much of it they use now, for the limits counted per user (their
     * session's API requests, their device changes, their webhook tests); the other limits with their quota
     * only. Reading a bucket takes nothing from it.
     */
    public List<Decision> usage(TenantContext user) {
        String plan = plan(user);
        List<Decision> all = new ArrayList<>();
        for (RateLimit limit : RateLimit.values()) {
            Quota quota = settings.quota(plan, limit).orElse(null);
            String key = switch (limit) {
                case API_REQUESTS -> sessionKey(user.userId());
                case USER_CHANGES, WEBHOOK_TESTS, ALEXA_EVENTS -> user.userId().toString();
                default -> null;
            };
            if (quota == null || key == null) {
                all.add(quota == null ? Decision.unlimited(limit, plan)
                        : new Decision(limit, plan, quota, true, quota.limit(), 0, 0, 0));
                continue;
            }
            try {
                long available = buckets.builder().build(bucketKey(limit, quota, key), () -> configuration(quota))
                        .getAvailableTokens();
                all.add(new Decision(limit, plan, quota, true, available, 0, 0, 0));
            } catch (RuntimeException e) {
                all.add(new Decision(limit, plan, quota, true, quota.limit(), 0, 0, 0));
            }
        }
        return all;
    }

    /**
     * One unit of an internal budget that is not a published plan limit (e.g. the Alexa gateway's fair
     * share), in the same shared buckets: empty when taken, else how long until a unit is free. Allowed when
     * the bucket store is unavailable.
     */
    public Optional<Duration> take(String budget, Quota quota, String key) {
        try {
            ConsumptionProbe probe = buckets.builder().build(budget + ":" + quota.limit() + "/"
                    + quota.window().toMillis() + "ms:" + key, () -> configuration(quota)).tryConsumeAndReturnRemaining(1);
            return probe.isConsumed() ? Optional.empty() : Optional.of(Duration.ofNanos(probe.getNanosToWaitForRefill()));
        } catch (RuntimeException e) {
            log.warn("budget {} not checked (bucket store unavailable): {}", budget, e.toString());
            meters.counter("virtdevice.rate_limit.unavailable").increment();
            return Optional.empty();
        }
    }

    /**
     * Up to {@code units} units of an internal budget in one round trip (e.g. a batch of IFTTT realtime
     * notices), in buckets of their own: as many as the bucket holds, and when that is fewer, about how long
     * until the next unit (one unit's refill interval: the bucket is then empty). All of them when the bucket
     * store is unavailable.
     */
    public Taken takeUpTo(String budget, Quota quota, String key, long units) {
        try {
            long taken = buckets.builder().build(budget + ":" + quota.limit() + "/" + quota.window().toMillis()
                    + "ms:n:" + key, () -> configuration(quota)).tryConsumeAsMuchAsPossible(units);
            return new Taken(taken, taken == units ? Duration.ZERO
                    : Duration.ofNanos(Math.max(1, quota.window().toNanos() / quota.limit())));
        } catch (RuntimeException e) {
            log.warn("budget {} not checked (bucket store unavailable): {}", budget, e.toString());
            meters.counter("virtdevice.rate_limit.unavailable").increment();
            return new Taken(units, Duration.ZERO);
        }
    }

    /** What {@link #takeUpTo} gave: {@code units} taken; {@code retryIn}: until the next when fewer than asked. */
    public record Taken(long units, Duration retryIn) {}

    /** The bucket key of the browser session's API requests (counted per user, not per session). */
    public static String sessionKey(UUID userId) {
        return "session:" + userId;
    }

    private Decision enforce(Decision decision) {
        if (!decision.allowed()) {
            throw refusal(decision);
        }
        return decision;
    }

    private BucketConfiguration configuration(Quota quota) {
        return configurations.computeIfAbsent(quota, q -> BucketConfiguration.builder()
                .addLimit(l -> l.capacity(q.limit()).refillGreedy(q.limit(), q.window()))
                .build());
    }

    /** The quota is part of the key: a plan change or a new configuration starts a fresh bucket. */
    private static String bucketKey(RateLimit limit, Quota quota, String key) {
        return limit.policy() + ":" + quota.limit() + "/" + quota.window().toSeconds() + ":" + key;
    }

    private static long seconds(long nanos) {
        return (nanos + TimeUnit.SECONDS.toNanos(1) - 1) / TimeUnit.SECONDS.toNanos(1);
    }
}
