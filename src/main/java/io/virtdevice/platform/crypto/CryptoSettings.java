package io.virtdevice.platform.crypto;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The master key for secrets VirtDevice must be able to replay (webhook signing secrets, Amazon's tokens).
 *
 * @param secretKey base64 of 32 random bytes (AES-256); required in the {@code prod} profile
 * @param secretKeyFile where the generated key is kept when {@code secretKey} is unset outside production;
 *     default {@code secret.key} next to the embedded database's data directory ({@code data/secret.key})
 */
@ConfigurationProperties("virtdevice.crypto")
public record CryptoSettings(String secretKey, String secretKeyFile) {}
