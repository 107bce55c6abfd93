package io.virtdevice.platform.security;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Optional;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.CredentialsExpiredException;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Authenticates {@code Authorization: Bearer <token>} requests of one surface ({@link BearerCredentials}: the
 * registered {@link BearerAuthenticator}s, their caches and the unknown-token throttle). A bearer request
 * never touches the session; an invalid token, and a valid one bound to another surface (an Alexa token on
 * the REST API), is a 401 at once (it does not fall back to anonymous). A client address that keeps sending
 * unknown tokens is answered 429 without a lookup.
 */
class BearerTokenFilter extends OncePerRequestFilter {

    private final CurrentUser.Surface surface;
    private final BearerCredentials credentials;
    private final SurfaceResponses responses;
    private final ApiRequestLimit limit;

    BearerTokenFilter(CurrentUser.Surface surface, BearerCredentials credentials, SurfaceResponses responses) {
        this(surface, credentials, responses, null);
    }

    /**
     * With a request limit (the REST API's): a token this filter refuses counts on the client address's quota
     * and its 401 or 429 carries the fields; once that quota is spent, unknown tokens get its 429 instead.
     */
    BearerTokenFilter(CurrentUser.Surface surface, BearerCredentials credentials, SurfaceResponses responses,
            ApiRequestLimit limit) {
        this.surface = surface;
        this.credentials = credentials;
        this.responses = responses;
        this.limit = limit;
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
        switch (credentials.check(bearer.get(), surface, request.getRemoteAddr())) {
            case BearerCredentials.Valid valid -> {
                SecurityContext context = SecurityContextHolder.createEmptyContext();
                context.setAuthentication(UsernamePasswordAuthenticationToken.authenticated(
                        valid.user(), null, Authorities.of(valid.user())));
                SecurityContextHolder.setContext(context);
                try {
                    chain.doFilter(request, response);
                } finally {
                    SecurityContextHolder.clearContext();
                }
            }
            case BearerCredentials.Throttled throttled -> {
                SecurityContextHolder.clearContext();
                if (ApiRequestLimit.admitOnce(limit, request, response, null)) {
                    responses.tooManyUnknownTokens(response, throttled.retryAfterSeconds());
                }
            }
            // no connection within the pool's timeout (overload) or the database is away: retry, not a 500
            case BearerCredentials.Unavailable unavailable -> responses.busy(response);
            case BearerCredentials.Expired expired -> {
                SecurityContextHolder.clearContext();
                if (!ApiRequestLimit.admitOnce(limit, request, response, null)) {
                    return;
                }
                responses.unauthenticated().commence(request, response,
                        new CredentialsExpiredException("expired bearer token"));
            }
            // a token of another surface is as good as unknown here (RFC 6750 invalid_token)
            case BearerCredentials.Invalid invalid -> {
                SecurityContextHolder.clearContext();
                if (!ApiRequestLimit.admitOnce(limit, request, response, null)) {
                    return;
                }
                responses.unauthenticated().commence(request, response,
                        new BadCredentialsException("invalid bearer token"));
            }
        }
    }
}
