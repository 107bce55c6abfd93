package io.virtdevice.platform.security;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Bearer-token checking ({@code virtdevice.security.*}).
 *
 * @param tokenCacheSize most tokens each cache (API keys, OAuth access tokens) remembers; Caffeine evicts the
 *     least valuable entries beyond it (one at a time, never the whole cache)
 * @param apiKeyCacheTtl how long a resolved API key is trusted without asking the database (revocations reach
 *     every instance at once through the bus; this bounds a notice lost while the bus was down)
 * @param negativeTokenCacheTtl how long "no such token" is remembered, so a repeated unknown token costs no
 *     database round trip
 * @param unknownTokenLimit database lookups of unknown tokens one client address may cause per window; beyond
 *     it, tokens this instance does not already know are answered 429 without a lookup
 * @param unknownTokenWindow the window of {@code unknown-token-limit}
 */
@ConfigurationProperties("virtdevice.security")
public record SecuritySettings(
        @DefaultValue("10000") int tokenCacheSize,
        @DefaultValue("5s") Duration apiKeyCacheTtl,
        @DefaultValue("5s") Duration negativeTokenCacheTtl,
        @DefaultValue("20") int unknownTokenLimit,
        @DefaultValue("1m") Duration unknownTokenWindow) {

    public SecuritySettings {
        if (tokenCacheSize < 100) {
            throw new IllegalStateException("virtdevice.security.token-cache-size must be at least 100");
        }
        if (apiKeyCacheTtl.isNegative() || apiKeyCacheTtl.compareTo(Duration.ofMinutes(1)) > 0) {
            throw new IllegalStateException("virtdevice.security.api-key-cache-ttl must be between 0 and 1 minute");
        }
        if (negativeTokenCacheTtl.isNegative() || negativeTokenCacheTtl.compareTo(Duration.ofMinutes(1)) > 0) {
            throw new IllegalStateException(
                    "virtdevice.security.negative-token-cache-ttl must be between 0 and 1 minute");
        }
        if (unknownTokenLimit < 1 || !unknownTokenWindow.isPositive()) {
            throw new IllegalStateException(
                    "virtdevice.security.unknown-token-limit and unknown-token-window must be positive");
        }
    }
}
