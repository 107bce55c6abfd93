package io.virtdevice.platform.security;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
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
        Optional<CurrentUser> user = token.get().length() > 512
                ? Optional.empty()
                : authenticators.stream()
                        .filter(a -> a.supports(token.get()))
                        .findFirst()
                        .flatMap(a -> a.authenticate(token.get()));
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
