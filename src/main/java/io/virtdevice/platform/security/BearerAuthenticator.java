package io.virtdevice.platform.security;

import java.util.Optional;

/**
 * SPI: turns a bearer secret into a principal. Each kind of secret (personal API keys, OAuth access
 * tokens) contributes one implementation and recognises its own tokens by prefix.
 */
public interface BearerAuthenticator {

    /** Whether this authenticator owns tokens of this shape (a cheap prefix test, no I/O). */
    boolean supports(String token);

    /** The principal for a valid token, or empty for an unknown, revoked or expired one. */
    Optional<CurrentUser> authenticate(String token);

    /**
     * Whether {@link #authenticate} would have to ask the database about this token (this instance has no
     * answer cached for it, neither "valid" nor "unknown"). Used to throttle lookups of unknown tokens.
     */
    default boolean needsLookup(String token) {
        return true;
    }

    /** Whether the token is one of ours that is known but past its expiry (after authenticate said no). */
    default boolean expired(String token) {
        return false;
    }
}
