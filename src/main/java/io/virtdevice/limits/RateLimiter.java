package io.virtdevice.limits;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.distributed.BucketProxy;
import io.github.bucket4j.distributed.proxy.BucketNotFoundException;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.distributed.proxy.optimization.DelayParameters;
import io.github.bucket4j.distributed.proxy.optimization.Optimization;
import io.github.bucket4j.distributed.proxy.optimization.OptimizationListener;
import io.github.bucket4j.distributed.proxy.optimization.Optimizations;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.virtdevice.platform.tenancy.TenantContext;
import io.virtdevice.platform.tenancy.TenantScope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
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
 * <p>Each instance keeps one Bucket4j proxy per bucket key ({@link #local}) with one of Bucket4j's
 * optimizations: <em>delaying</em> when {@code virtdevice.limits.local-share} of the quota is at least one
 * unit (the instance answers from its local copy of the bucket and writes what it took to the store after
 * that many units or {@code virtdevice.limits.sync-interval}, whichever comes first), else <em>batching</em>
 * (exact: every check reaches the store, concurrent checks of one key share a store call). Asking the store
 * on every check cost −47 % throughput on the REST write path (docs/decisions.md, "Rate limits"): every
 * request serialized on the same two rows. What the local copy costs in exactness, and its bound across
 * instances, is in docs/rate-limits.md ("How exact").
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
    /** Each plan's rules, limit by limit, computed once: nothing about a limit is worked out per check. */
    private final Map<String, Map<RateLimit, Rule>> rules = new ConcurrentHashMap<>();
    /** One rule per store-key prefix, so two plans with the same quota share one local proxy per bucket. */
    private final Map<String, Rule> rulesByPrefix = new ConcurrentHashMap<>();
    /** This instance's proxy of each bucket in use: the local copy and batching queue live in it. */
    private final Cache<BucketId, Local> local;
    private final Counter rememberedRefusals;
    private final Counter createdOnMissing;
    private final OptimizationListener answeredLocally;

    RateLimiter(RateLimitSettings settings, LimitBuckets buckets, ObjectProvider<PlanSource> planSource,
            @Value("${virtdevice.billing.mode:none}") String billingMode, MeterRegistry meters) {
        this.settings = settings;
        this.buckets = buckets.proxyManager();
        this.planSource = planSource;
        this.billing = !billingMode.strip().toLowerCase(Locale.ROOT).matches("none|");
        this.tiers = Caffeine.newBuilder().expireAfterWrite(settings.planCacheTtl()).maximumSize(100_000).build();
        this.meters = meters;
        // an idle key's proxy goes after a while; what it took locally is written to the store first
        this.local = Caffeine.newBuilder().expireAfterAccess(Duration.ofMinutes(2).plus(settings.syncInterval()))
                .maximumSize(200_000)
                .removalListener((BucketId key, Local proxy, RemovalCause cause) -> {
                    if (proxy != null) {
                        proxy.flush();
                    }
                })
                .build();
        Counter skipped = Counter.builder("virtdevice.rate_limit.local")
                .description("Rate-limit checks answered from the instance's local copy of a bucket").register(meters);
        this.createdOnMissing = Counter.builder("virtdevice.rate_limit.created_on_missing")
                .description("Rate-limit checks merged against a bucket not yet in the store, checked again on their own")
                .register(meters);
        this.rememberedRefusals = Counter.builder("virtdevice.rate_limit.remembered")
                .description("Rate-limit refusals answered from the last refusal, without the bucket store").register(meters);
        Counter merged = Counter.builder("virtdevice.rate_limit.merged")
                .description("Rate-limit checks that shared another check's call to the bucket store").register(meters);
        settings.plans().forEach((plan, quotas) -> {
            Map<RateLimit, Rule> byLimit = new EnumMap<>(RateLimit.class);
            quotas.forEach((limit, quota) -> byLimit.put(limit, rule(bucketPrefix(limit, quota), quota)));
            rules.put(plan, byLimit);
        });
        this.answeredLocally = new OptimizationListener() {
            @Override
            public void incrementMergeCount(int count) {
                merged.increment(count);
            }

            @Override
            public void incrementSkipCount(int count) {
                skipped.increment(count);
            }
        };
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
        Rule rule = rule(plan, limit);
        if (rule == null) {
            return Decision.unlimited(limit, plan);
        }
        try {
            return decision(limit, plan, rule.quota(), tryConsumeOne(rule, key));
        } catch (RuntimeException e) {
            log.warn("rate limit {} not checked (bucket store unavailable): {}", limit.policy(), e.toString());
            meters.counter("virtdevice.rate_limit.unavailable").increment();
            return Decision.unlimited(limit, plan);
        }
    }

    private Decision decision(RateLimit limit, String plan, Quota quota, ConsumptionProbe probe) {
        Decision decision = new Decision(limit, plan, quota, probe.isConsumed(), probe.getRemainingTokens(),
                seconds(probe.getNanosToWaitForReset()), Math.max(1, seconds(probe.getNanosToWaitForRefill())),
                probe.getNanosToWaitForRefill());
        if (!decision.allowed()) {
            refusals.computeIfAbsent(limit.policy() + "/" + plan, k -> Counter.builder("virtdevice.rate_limit.refused")
                    .description("Requests refused by a published rate limit")
                    .tag("limit", limit.policy()).tag("plan", plan).register(meters)).increment();
        }
        return decision;
    }

    /**
     * The refusal this instance remembers for {@code key}'s bucket of {@code limit} (it refused before and its next
     * unit is not due yet), without asking the store or taking anything; null when there is none.
     */
    private Decision remembered(RateLimit limit, String plan, String key) {
        Rule rule = rule(plan, limit);
        ConsumptionProbe refusal = rule == null ? null
                : remembered(local.getIfPresent(new BucketId(rule, key)), System.nanoTime());
        return refusal == null ? null : decision(limit, plan, rule.quota(), refusal);
    }

    /** The bucket's remembered refusal at {@code now}, counted, or null (no bucket on this instance, or none due). */
    private ConsumptionProbe remembered(Local bucket, long now) {
        ConsumptionProbe refusal = bucket == null ? null : bucket.refusal(now);
        if (refusal != null) {
            rememberedRefusals.increment();
        }
        return refusal;
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
        String userKey = user.userId().toString();
        // a user whose own bucket is known to be empty is refused before the device's bucket is asked: no store
        // call and no device unit spent on a change that is refused anyway (a noisy user over their quota
        // otherwise took a pooled connection per attempt for the device's bucket; docs/decisions.md)
        Decision userRefused = remembered(RateLimit.USER_CHANGES, plan, userKey);
        if (userRefused != null) {
            throw refusal(userRefused);
        }
        enforce(consume(RateLimit.DEVICE_CHANGES, plan, deviceId.toString()));
        enforce(consume(RateLimit.USER_CHANGES, plan, userKey));
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
            Rule rule = rule(plan, limit);
            Quota quota = rule == null ? null : rule.quota();
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
                long available = call(rule, key, BucketProxy::getAvailableTokens);
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
            ConsumptionProbe probe = tryConsumeOne(rule(budgetPrefix(budget, quota, ""), quota), key);
            return probe.isConsumed() ? Optional.empty() : Optional.of(Duration.ofNanos(probe.getNanosToWaitForRefill()));
        } catch (RuntimeException e) {
            log.warn("budget {} not checked (bucket store unavailable): {}", budget, e.toString());
            meters.counter("virtdevice.rate_limit.unavailable").increment();
            return Optional.empty();
        }
    }

    /**
     * Up to {@code units} units of an internal budget in one check (e.g. a batch of IFTTT realtime notices), in
     * buckets of their own: as many as the bucket holds, and when that is fewer, about how long until the next
     * unit (one unit's refill interval: the bucket is then empty). All of them when the bucket store is
     * unavailable. Through the same local proxy as every other check ({@link #local}), so the local share's
     * rules hold: units are taken from the local copy only while they stay within the bucket's local units
     * (a request for more than that, or a quota under 100 units with the default share, asks the store), and
     * concurrent checks of one bucket share a store call.
     */
    public Taken takeUpTo(String budget, Quota quota, String key, long units) {
        try {
            long taken = call(rule(budgetPrefix(budget, quota, "n:"), quota), key, b -> b.tryConsumeAsMuchAsPossible(units));
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

    /** Writes what this instance took locally to the store (the other instances count it); on shutdown. */
    void flushLocal() {
        local.asMap().values().forEach(Local::flush);
    }

    /** The plan's rule for the limit, or null when the plan does not set it (unlimited). */
    private Rule rule(String plan, RateLimit limit) {
        Map<RateLimit, Rule> byLimit = rules.get(plan);
        return byLimit == null ? null : byLimit.get(limit);
    }

    private Rule rule(String prefix, Quota quota) {
        return rulesByPrefix.computeIfAbsent(prefix, p -> new Rule(p, quota, settings.localUnits(quota),
                BucketConfiguration.builder()
                        .addLimit(l -> l.capacity(quota.limit()).refillGreedy(quota.limit(), quota.window()))
                        .build()));
    }

    /**
     * One unit of the bucket, or the refusal. Once the bucket has refused, it is refused here, without asking the
     * store, until the time the refusal named for the next unit: the refill is greedy and nobody, on any
     * instance, can take a unit from an empty bucket before that, so this is as exact as asking. It keeps a
     * client hammering a small (store-exact) quota from taking a pooled connection and a store transaction
     * per refused request (docs/decisions.md, "Refusals answered from memory").
     */
    private ConsumptionProbe tryConsumeOne(Rule rule, String key) {
        Local bucket = local(rule, key);
        long now = System.nanoTime();
        ConsumptionProbe remembered = remembered(bucket, now);
        if (remembered != null) {
            return remembered;
        }
        ConsumptionProbe probe = call(rule, key, bucket, b -> b.tryConsumeAndReturnRemaining(1));
        if (!probe.isConsumed()) {
            bucket.refused(now, probe);
        }
        return probe;
    }

    private <T> T call(Rule rule, String key, Function<BucketProxy, T> check) {
        return call(rule, key, local(rule, key), check);
    }

    /**
     * One check through this instance's proxy of the bucket; when the bucket does not exist in the store yet and
     * Bucket4j's batching merged this check with others into one store call, the same check once more through a
     * plain proxy, which creates the bucket if it is missing and then takes from it.
     *
     * <p>Why: the batching optimization (also under delaying) sends concurrent checks of one key as one multi
     * command. Against a missing row the store answers the whole multi command "bucket not found", and Bucket4j
     * then throws {@link BucketNotFoundException} to every check in it instead of creating the bucket (a single
     * check is created-on-missing by its proxy; a merged batch is not). The checks would fail open (allowed, as
     * if the store were down): the first concurrent burst on a brand-new bucket went through unchecked. The plain
     * proxy's create-and-take runs under the row's lock and creates only a missing row, so concurrent retries
     * take from the one bucket (docs/decisions.md, "A new bucket's first concurrent checks").
     */
    private <T> T call(Rule rule, String key, Local bucket, Function<BucketProxy, T> check) {
        try {
            return check.apply(bucket.proxy());
        } catch (RuntimeException e) {
            if (!bucketNotFound(e)) {
                throw e;
            }
            createdOnMissing.increment();
            return check.apply(buckets.builder().build(rule.prefix() + key, rule::configuration));
        }
    }

    private static boolean bucketNotFound(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof BucketNotFoundException) {
                return true;
            }
        }
        return false;
    }

    private Local local(Rule rule, String key) {
        return local.get(new BucketId(rule, key), id -> {
            long units = rule.localUnits();
            Optimization optimization = units < 1 ? Optimizations.batching()
                    : Optimizations.delaying(new DelayParameters(units, settings.syncInterval()));
            return new Local(buckets.builder().withOptimization(optimization.withListener(answeredLocally))
                    .build(rule.prefix() + key, rule::configuration), units >= 1);
        });
    }

    /**
     * A quota of a limit or budget with what its checks need, built once: the store-key prefix (the quota is
     * part of it: a plan change or a new configuration starts a fresh bucket), the local units and Bucket4j's
     * configuration. Compared by identity: there is one per prefix.
     */
    private static final class Rule {
        private final String prefix;
        private final Quota quota;
        private final long localUnits;
        private final BucketConfiguration configuration;

        Rule(String prefix, Quota quota, long localUnits, BucketConfiguration configuration) {
            this.prefix = prefix;
            this.quota = quota;
            this.localUnits = localUnits;
            this.configuration = configuration;
        }

        String prefix() {
            return prefix;
        }

        Quota quota() {
            return quota;
        }

        long localUnits() {
            return localUnits;
        }

        BucketConfiguration configuration() {
            return configuration;
        }
    }

    /** One bucket on this instance: its rule and its key (device id, user id, credential, …). */
    private record BucketId(Rule rule, String key) {}

    /**
     * A bucket's proxy on this instance; {@code delayed} when it may hold units not yet written to the store. Also
     * the last refusal's times, so that refusals until the next unit are answered without the store.
     */
    private static final class Local {
        private final BucketProxy proxy;
        private final boolean delayed;
        /** The store's last refusal of this bucket, null before any; one value, so it is read whole. */
        private volatile Refusal lastRefusal;

        Local(BucketProxy proxy, boolean delayed) {
            this.proxy = proxy;
            this.delayed = delayed;
        }

        BucketProxy proxy() {
            return proxy;
        }

        void refused(long now, ConsumptionProbe probe) {
            lastRefusal = new Refusal(now + probe.getNanosToWaitForRefill(), now + probe.getNanosToWaitForReset());
        }

        /** The refusal the bucket would give at {@code now}, or null when it may have a unit by now. */
        ConsumptionProbe refusal(long now) {
            Refusal last = lastRefusal;
            if (last == null) {
                return null;
            }
            long toNextUnit = last.nextUnitAt() - now;
            if (toNextUnit <= 0) {
                return null;
            }
            return ConsumptionProbe.rejected(0, toNextUnit, Math.max(toNextUnit, last.fullAt() - now));
        }

        /** {@link System#nanoTime()} when the refused bucket's next unit comes and when it is full again. */
        private record Refusal(long nextUnitAt, long fullAt) {}

        /** Writes the units taken locally since the last store call, if any. */
        void flush() {
            if (!delayed) {
                return;
            }
            try {
                proxy.getOptimizationController().syncByCondition(1, Duration.ZERO);
            } catch (RuntimeException e) {
                log.warn("rate-limit units taken locally not written (bucket store unavailable): {}", e.toString());
            }
        }
    }

    /** {@code device-changes:600/60:}: the store keys of a limit's buckets under a quota. */
    private static String bucketPrefix(RateLimit limit, Quota quota) {
        return limit.policy() + ":" + quota.limit() + "/" + quota.window().toSeconds() + ":";
    }

    /** {@code ifttt-realtime-user:120/60000ms:}: the store keys of an internal budget's buckets. */
    private static String budgetPrefix(String budget, Quota quota, String kind) {
        return budget + ":" + quota.limit() + "/" + quota.window().toMillis() + "ms:" + kind;
    }

    private static long seconds(long nanos) {
        return (nanos + TimeUnit.SECONDS.toNanos(1) - 1) / TimeUnit.SECONDS.toNanos(1);
    }
}
