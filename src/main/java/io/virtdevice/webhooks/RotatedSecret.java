package io.virtdevice.webhooks;

import java.time.Instant;

/**
 * A webhook's new signing secret, shown once. Until {@code previousSecretExpiresAt} deliveries carry a
 * signature with each secret, so the receiver can switch over without losing messages.
 */
public record RotatedSecret(String secret, Instant previousSecretExpiresAt) {}
