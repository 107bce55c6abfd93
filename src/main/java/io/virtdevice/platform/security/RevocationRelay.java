package io.virtdevice.platform.security;

/**
 * Carries committed revocations to the other instances (implemented by the events module on its bus:
 * PostgreSQL NOTIFY or Redis pub/sub); the receiving side hands them to {@link Revocations#apply}.
 */
public interface RevocationRelay {

    /** Best effort: must not throw. A lost notice is bounded by the token caches' TTL. */
    void publish(CredentialRevoked revocation);
}
