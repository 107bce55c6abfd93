package io.virtdevice.apikeys;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** A new API key with its secret ({@code key}), shown this once; only its SHA-256 is stored. */
public record IssuedApiKey(UUID id, String name, String prefix, List<String> scopes, Instant expiresAt,
        Instant createdAt, String key) {}
