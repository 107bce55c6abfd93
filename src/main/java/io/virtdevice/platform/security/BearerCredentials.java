package io.virtdevice.platform.security;

import io.virtdevice.platform.web.DatabaseErrors;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.NestedExceptionUtils;
import org.springframework.stereotype.Component;

/**
 * Checks a bearer secret for one surface through the registered {@link BearerAuthenticator}s (and their
 * caches) and the unknown-token throttle: for {@link BearerTokenFilter} ({@code Authorization} header) and
 * for secrets that arrive elsewhere: Alexa puts the user's access token inside the directive
 * ({@code endpoint.scope.token}, {@code payload.scope.token}, {@code payload.grantee.token}), so the
 * directive endpoint reads it from the body.
 */
@Component
public class BearerCredentials {

    private static final Logger log = LoggerFactory.getLogger(BearerCredentials.class);

    /** The outcome of a check. */
    public sealed interface Check {}

    /** A live token of the asked surface. */
    public record Valid(CurrentUser user) implements Check {}

    /** One of our tokens, known, past its expiry. */
    public record Expired() implements Check {}

    /** Unknown, revoked, malformed, or bound to another surface. */
    public record Invalid() implements Check {}

    /** The address sent too many unknown tokens: answered without a lookup. */
    public record Throttled(long retryAfterSeconds) implements Check {}

    /** The credential store could not be asked (database out of reach or saturated). */
    public record Unavailable() implements Check {}

    private final List<BearerAuthenticator> authenticators;
    private final UnknownTokenThrottle throttle;

    BearerCredentials(List<BearerAuthenticator> authenticators, UnknownTokenThrottle throttle) {
        this.authenticators = authenticators;
        this.throttle = throttle;
    }

    /**
     * @param token the secret, or null
     * @param surface the surface the request is for; a token of another surface is {@link Invalid}
     * @param address the client address, for the unknown-token throttle
     */
    public Check check(String token, CurrentUser.Surface surface, String address) {
        if (token == null || token.isEmpty() || token.length() > 512) {
            return new Invalid();
        }
        BearerAuthenticator authenticator = authenticators.stream()
                .filter(a -> a.supports(token))
                .findFirst()
                .orElse(null);
        if (authenticator == null) {
            return new Invalid();
        }
        try {
            boolean lookup = authenticator.needsLookup(token);
            if (lookup && throttle.blocked(address)) {
                return new Throttled(throttle.retryAfterSeconds(address));
            }
            Optional<CurrentUser> user = authenticator.authenticate(token);
            if (user.isEmpty()) {
                boolean expired = authenticator.expired(token);
                if (lookup && !expired) {
                    throttle.recordUnknown(address);
                }
                return expired ? new Expired() : new Invalid();
            }
            return user.get().surface() == surface ? new Valid(user.get()) : new Invalid();
        } catch (RuntimeException e) {
            if (!DatabaseErrors.unavailable(e)) {
                throw e;
            }
            log.warn("could not check a bearer token: {}", NestedExceptionUtils.getMostSpecificCause(e).toString());
            return new Unavailable();
        }
    }
}
