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
}
