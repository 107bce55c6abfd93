package io.virtdevice.platform.security;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Counts each {@code /api/**} request with the {@link ApiRequestLimit} once its caller is known: right after
 * the bearer filter (which counts its own refusals of unknown tokens) and before the CSRF check and the
 * authorization rules, so their 403s and 401s carry the fields too. The browser session's user is read here
 * from the security context (loaded from the session on first use).
 */
class ApiRequestLimitFilter extends OncePerRequestFilter {

    private final ApiRequestLimit limit;

    ApiRequestLimitFilter(ApiRequestLimit limit) {
        this.limit = limit;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        Authentication auth = SecurityContextHolder.getContext().getAuthentication();
        CurrentUser user = auth != null && auth.isAuthenticated() && auth.getPrincipal() instanceof CurrentUser u
                ? u : null;
        if (ApiRequestLimit.admitOnce(limit, request, response, user)) {
            chain.doFilter(request, response);
        }
    }
}
