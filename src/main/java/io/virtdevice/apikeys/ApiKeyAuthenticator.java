package io.virtdevice.apikeys;

import io.virtdevice.platform.crypto.Tokens;
import io.virtdevice.platform.security.BearerAuthenticator;
import io.virtdevice.platform.security.CurrentUser;
import io.virtdevice.platform.tenancy.TenantScope;
import io.virtdevice.platform.tenancy.TenantScopedTransactionManager;
import io.virtdevice.platform.security.CredentialRevoked;
import io.virtdevice.platform.security.RevocationListener;
import io.virtdevice.platform.security.SecuritySettings;
import io.virtdevice.platform.security.TokenCache;
import java.util.HexFormat;
import java.util.Optional;
import javax.sql.DataSource;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Authenticates {@code Authorization: Bearer vdk_...} personal API keys through the definer function
 * {@code app.resolve_api_key}.
 *
 * <p>Resolutions are cached per key hash ({@link TokenCache}: bounded, "no such key" remembered for
 * {@code virtdevice.security.negative-token-cache-ttl}), so a busy script costs one database round trip per key
 * every {@code virtdevice.security.api-key-cache-ttl}. A revocation evicts at once on every instance
 * ({@link RevocationListener}, relayed by the events bus); the TTL only bounds a notice lost while the bus
 * was down, and a key that just expired.
 */
@Component
class ApiKeyAuthenticator implements BearerAuthenticator, RevocationListener {

    static final String PREFIX = "vdk_";

    private final TokenCache<CurrentUser> cache;
    private final ApiKeyRepository keys;
    private final DataSource dataSource;
    private final TransactionTemplate tx;

    ApiKeyAuthenticator(ApiKeyRepository keys, DataSource dataSource, PlatformTransactionManager transactions,
            SecuritySettings settings) {
        this.keys = keys;
        this.dataSource = dataSource;
        this.tx = new TransactionTemplate(transactions);
        long ttlNanos = settings.apiKeyCacheTtl().toNanos();
        this.cache = new TokenCache<>(settings.tokenCacheSize(), settings.negativeTokenCacheTtl(), user -> ttlNanos);
    }

    @Override
    public boolean supports(String token) {
        return token.startsWith(PREFIX);
    }

    @Override
    public Optional<CurrentUser> authenticate(String token) {
        byte[] hash = Tokens.sha256(token);
        return cache.get(HexFormat.of().formatHex(hash),
                () -> TenantScope.callWithoutContext(() -> tx.execute(s -> resolve(hash))));
    }

    @Override
    public boolean needsLookup(String token) {
        return cache.missing(HexFormat.of().formatHex(Tokens.sha256(token)));
    }

    @Override
    public void revoked(CredentialRevoked revocation) {
        cache.evictIf(revocation::covers);
    }

    @Override
    public void forgetCached() {
        cache.clear();
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
