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
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Authenticates {@code Authorization: Bearer <token>} requests through the registered
 * {@link BearerAuthenticator}s. A bearer request never touches the session; an invalid token is a 401
 * at once (it does not fall back to anonymous).
 */
class BearerTokenFilter extends OncePerRequestFilter {

    private static final Logger log = LoggerFactory.getLogger(BearerTokenFilter.class);

    private final List<BearerAuthenticator> authenticators;
    private final AuthenticationEntryPoint entryPoint;

    BearerTokenFilter(List<BearerAuthenticator> authenticators, AuthenticationEntryPoint entryPoint) {
        this.authenticators = authenticators;
        this.entryPoint = entryPoint;
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
        Optional<String> token = bearer(request);
        if (token.isEmpty()) {
            chain.doFilter(request, response);
            return;
        }
        Optional<CurrentUser> user;
        try {
            user = token.get().length() > 512
                    ? Optional.empty()
                    : authenticators.stream()
                            .filter(a -> a.supports(token.get()))
                            .findFirst()
                            .flatMap(a -> a.authenticate(token.get()));
        } catch (RuntimeException e) {
            if (!DatabaseErrors.unavailable(e)) {
                throw e;
            }
            // no connection within the pool's timeout (overload) or the database is away: retry, not a 500
            log.warn("could not check a bearer token: {}", NestedExceptionUtils.getMostSpecificCause(e).toString());
            ProblemResponses.busy(response);
            return;
        }
        if (user.isEmpty()) {
            SecurityContextHolder.clearContext();
            entryPoint.commence(request, response, new BadCredentialsException("invalid bearer token"));
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
