package io.virtdevice.accounts;

import java.time.Instant;
import java.util.UUID;

/** A pending invitation to join the current tenant (the token itself is only ever mailed). */
public record Invitation(UUID id, String email, String role, UUID invitedBy, Instant expiresAt, Instant createdAt) {}
