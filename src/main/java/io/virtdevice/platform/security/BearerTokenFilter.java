package io.virtdevice.platform.security;

import io.virtdevice.platform.web.DatabaseErrors;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.NestedExceptionUtils;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.CredentialsExpiredException;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Authenticates {@code Authorization: Bearer <token>} requests of one surface through the registered
 * {@link BearerAuthenticator}s. A bearer request never touches the session; an invalid token, and a valid
 * one bound to another surface (an Alexa token on the REST API), is a 401 at once (it does not fall back to
 * anonymous). A client address that keeps sending unknown tokens is answered 429 without a lookup.
 */
class BearerTokenFilter extends OncePerRequestFilter {

    private static final Logger log = LoggerFactory.getLogger(BearerTokenFilter.class);

    private final CurrentUser.Surface surface;
    private final List<BearerAuthenticator> authenticators;
    private final UnknownTokenThrottle throttle;
    private final SurfaceResponses responses;

    BearerTokenFilter(CurrentUser.Surface surface, List<BearerAuthenticator> authenticators,
            UnknownTokenThrottle throttle, SurfaceResponses responses) {
        this.surface = surface;
        this.authenticators = authenticators;
        this.throttle = throttle;
        this.responses = responses;
    }

    static Optional<String> bearer(HttpServletRequest request) {
        String header = request.getHeader("Authorization");
        if (header == null || header.length() < 8 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Optional.empty();
        }
        return Optional.of(header.substring(7).trim());
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        Optional<String> bearer = bearer(request);
        if (bearer.isEmpty()) {
            chain.doFilter(request, response);
            return;
        }
        String token = bearer.get();
        BearerAuthenticator authenticator = token.length() > 512 ? null : authenticators.stream()
                .filter(a -> a.supports(token))
                .findFirst()
                .orElse(null);
        Optional<CurrentUser> user = Optional.empty();
        boolean expired = false;
        if (authenticator != null) {
            String address = request.getRemoteAddr();
            try {
                boolean lookup = authenticator.needsLookup(token);
                if (lookup && throttle.blocked(address)) {
                    SecurityContextHolder.clearContext();
                    responses.tooManyUnknownTokens(response, throttle.retryAfterSeconds(address));
                    return;
                }
                user = authenticator.authenticate(token);
                if (user.isEmpty()) {
                    expired = authenticator.expired(token);
                    if (lookup && !expired) {
                        throttle.recordUnknown(address);
                    }
                }
            } catch (RuntimeException e) {
                if (!DatabaseErrors.unavailable(e)) {
                    throw e;
                }
                // no connection within the pool's timeout (overload) or the database is away: retry, not a 500
                log.warn("could not check a bearer token: {}", NestedExceptionUtils.getMostSpecificCause(e).toString());
                responses.busy(response);
                return;
            }
        }
        if (user.isEmpty() || user.get().surface() != surface) {
            // a token of another surface is as good as unknown here (RFC 6750 invalid_token)
            SecurityContextHolder.clearContext();
            responses.unauthenticated().commence(request, response, expired
                    ? new CredentialsExpiredException("expired bearer token")
                    : new BadCredentialsException("invalid bearer token"));
            return;
        }
        SecurityContext context = SecurityContextHolder.createEmptyContext();
        context.setAuthentication(UsernamePasswordAuthenticationToken.authenticated(
                user.get(), null, Authorities.of(user.get())));
        SecurityContextHolder.setContext(context);
        try {
            chain.doFilter(request, response);
        } finally {
            SecurityContextHolder.clearContext();
        }
    }
}
