package io.virtdevice.apikeys;

import io.virtdevice.platform.crypto.Tokens;
import io.virtdevice.platform.security.BearerAuthenticator;
import io.virtdevice.platform.security.CurrentUser;
import io.virtdevice.platform.tenancy.TenantScope;
import io.virtdevice.platform.tenancy.TenantScopedTransactionManager;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Authenticates {@code Authorization: Bearer vdk_...} personal API keys through the definer function
 * {@code app.resolve_api_key}.
 *
 * <p>Resolutions (including "no such key") are cached per key hash for {@link #TTL}, so a busy script
 * costs one database round trip per key every few seconds. The price is the bound on revocation: a key
 * revoked on another instance, or one that just expired, keeps working for at most {@link #TTL} after
 * the change. A revocation through this instance evicts at once ({@link #evict}). When an entry expires
 * under load, one request resolves the key and the others arriving meanwhile wait for its answer instead
 * of all querying at once.
 */
@Component
class ApiKeyAuthenticator implements BearerAuthenticator {

    static final String PREFIX = "vdk_";
    static final Duration TTL = Duration.ofSeconds(5);
    // Bounds memory under a flood of random tokens (each of which is a cached miss).
    private static final int MAX_ENTRIES = 10_000;

    private record Cached(Optional<CurrentUser> user, long expiresAtNanos) {}

    private final Map<String, Cached> cache = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<Optional<CurrentUser>>> resolving = new ConcurrentHashMap<>();
    private final ApiKeyRepository keys;
    private final DataSource dataSource;
    private final TransactionTemplate tx;

    ApiKeyAuthenticator(ApiKeyRepository keys, DataSource dataSource, PlatformTransactionManager transactions) {
        this.keys = keys;
        this.dataSource = dataSource;
        this.tx = new TransactionTemplate(transactions);
    }

    @Override
    public boolean supports(String token) {
        return token.startsWith(PREFIX);
    }

    @Override
    public Optional<CurrentUser> authenticate(String token) {
        byte[] hash = Tokens.sha256(token);
        String cacheKey = HexFormat.of().formatHex(hash);
        long now = System.nanoTime();
        Cached cached = cache.get(cacheKey);
        if (cached != null && now - cached.expiresAtNanos() < 0) {
            return cached.user();
        }
        CompletableFuture<Optional<CurrentUser>> mine = new CompletableFuture<>();
        CompletableFuture<Optional<CurrentUser>> running = resolving.putIfAbsent(cacheKey, mine);
        if (running != null) {
            return running.join();
        }
        try {
            Optional<CurrentUser> user = TenantScope.callWithoutContext(() -> tx.execute(s -> resolve(hash)));
            remember(cacheKey, user, now);
            mine.complete(user);
            return user;
        } catch (RuntimeException | Error e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            resolving.remove(cacheKey, mine);
        }
    }

    private void remember(String cacheKey, Optional<CurrentUser> user, long now) {
        if (cache.size() >= MAX_ENTRIES) {
            cache.values().removeIf(c -> now - c.expiresAtNanos() >= 0);
            if (cache.size() >= MAX_ENTRIES) {
                cache.clear();
            }
        }
        cache.put(cacheKey, new Cached(user, now + TTL.toNanos()));
    }

    /** Forgets a key at once (after its revocation commits). */
    void evict(UUID keyId) {
        cache.values().removeIf(c -> c.user().map(u -> keyId.equals(u.credentialId())).orElse(false));
    }

    private Optional<CurrentUser> resolve(byte[] hash) {
        return keys.resolve(hash).map(key -> {
            TenantScopedTransactionManager.rebind(dataSource, key.owner());
            String email = keys.email(key.owner().userId()).orElse(null);
            return new CurrentUser(key.owner().userId(), key.owner().tenantId(), email,
                    CurrentUser.AuthMethod.API_KEY, key.scopes(), key.keyId());
        });
    }
}
