package io.virtdevice.platform.security;

/** Something on this instance that holds credentials (a token cache, live streams) and must let go of them. */
public interface RevocationListener {

    /** Forgets what the revoked credential authenticated; called on every instance, possibly more than once. */
    void revoked(CredentialRevoked revocation);

    /** Forgets every cached credential (notices may have been missed while the bus was down). */
    default void forgetCached() {}
}
