package io.virtdevice.platform.security;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

/**
 * What bearer tokens resolved to, per token hash: a bounded Caffeine cache (size-based eviction drops the
 * least valuable entries one by one, never the whole cache) that also remembers "no such token" for a short
 * time. When an entry is missing, one caller resolves it and the others asking for the same token meanwhile
 * wait for that answer instead of all querying the database.
 *
 * <p>A lookup that was already running when a revocation evicted entries does not cache its (possibly stale)
 * answer: every eviction moves a generation counter, and an answer is only kept if none happened meanwhile.
 *
 * @param <V> what a token resolves to
 */
public final class TokenCache<V> {

    private record Entry<V>(Optional<V> value, long ttlNanos) {}

    private final Cache<String, Entry<V>> cache;
    private final Map<String, CompletableFuture<Optional<V>>> resolving = new ConcurrentHashMap<>();
    private final AtomicLong generation = new AtomicLong();
    private final long negativeTtlNanos;
    private final ToLongFunction<V> positiveTtlNanos;

    /**
     * @param positiveTtlNanos how long a found token may be trusted (e.g. bounded by its expiry); 0 = not cached
     */
    public TokenCache(long maximumSize, Duration negativeTtl, ToLongFunction<V> positiveTtlNanos) {
        this.negativeTtlNanos = negativeTtl.toNanos();
        this.positiveTtlNanos = positiveTtlNanos;
        this.cache = Caffeine.newBuilder()
                .maximumSize(maximumSize)
                .expireAfter(new Expiry<String, Entry<V>>() {
                    @Override
                    public long expireAfterCreate(String key, Entry<V> entry, long currentTime) {
                        return entry.ttlNanos();
                    }

                    @Override
                    public long expireAfterUpdate(String key, Entry<V> entry, long currentTime, long currentDuration) {
                        return entry.ttlNanos();
                    }

                    @Override
                    public long expireAfterRead(String key, Entry<V> entry, long currentTime, long currentDuration) {
                        return currentDuration;
                    }
                })
                .build();
    }

    /** Whether answering for this key would need a lookup (nothing cached, positive or negative). */
    public boolean missing(String key) {
        return cache.getIfPresent(key) == null;
    }

    /** The cached answer, or the loader's (run once for concurrent callers of the same key). */
    public Optional<V> get(String key, Supplier<Optional<V>> loader) {
        Entry<V> cached = cache.getIfPresent(key);
        if (cached != null) {
            return cached.value();
        }
        CompletableFuture<Optional<V>> mine = new CompletableFuture<>();
        CompletableFuture<Optional<V>> running = resolving.putIfAbsent(key, mine);
        if (running != null) {
            return running.join();
        }
        try {
            long before = generation.get();
            Optional<V> value = loader.get();
            long ttl = value.map(positiveTtlNanos::applyAsLong).orElse(negativeTtlNanos);
            if (ttl > 0 && generation.get() == before) {
                cache.put(key, new Entry<>(value, ttl));
            }
            mine.complete(value);
            return value;
        } catch (RuntimeException | Error e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            resolving.remove(key, mine);
        }
    }

    /** Forgets every cached token whose value matches. */
    public void evictIf(Predicate<V> matches) {
        generation.incrementAndGet();
        cache.asMap().values().removeIf(entry -> entry.value().filter(matches).isPresent());
    }

    public void clear() {
        generation.incrementAndGet();
        cache.invalidateAll();
    }

    /** Entries currently held (for tests and metrics; Caffeine's count may lag slightly). */
    public long size() {
        cache.cleanUp();
        return cache.estimatedSize();
    }
}
