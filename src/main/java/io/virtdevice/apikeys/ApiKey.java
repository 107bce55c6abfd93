package io.virtdevice.apikeys;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A personal API key as its owner sees it later: never the secret, only the prefix to tell keys apart.
 *
 * @param scopes {@code read} and/or {@code write}
 * @param expiresAt null for a key that does not expire
 */
public record ApiKey(UUID id, String name, String prefix, List<String> scopes, Instant expiresAt,
        Instant lastUsedAt, Instant createdAt) {}
