package io.virtdevice.accounts;

import java.time.Instant;
import java.util.UUID;

/** A user of the current tenant, as the team list shows it. */
public record Member(UUID id, String email, String name, String role, boolean emailVerified, Instant lastLoginAt,
        Instant createdAt) {}
