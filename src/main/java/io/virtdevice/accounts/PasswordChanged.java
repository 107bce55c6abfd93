package io.virtdevice.accounts;

import java.util.UUID;

/**
 * The user's password was changed or reset. Published inside the transaction that changed it, so listeners
 * (the OAuth server revoking refresh tokens) commit or roll back with the change.
 */
public record PasswordChanged(UUID tenantId, UUID userId) {}
