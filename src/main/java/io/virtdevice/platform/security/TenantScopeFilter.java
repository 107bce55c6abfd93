package io.virtdevice.platform.security;

import io.virtdevice.platform.tenancy.TenantScope;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Binds the authenticated user's tenant context around the rest of the request, so every transaction the
 * request opens carries it into PostgreSQL. Unauthenticated requests run with no context.
 */
class TenantScopeFilter extends OncePerRequestFilter {

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        Authentication auth = SecurityContextHolder.getContext().getAuthentication();
        if (auth != null && auth.getPrincipal() instanceof CurrentUser user) {
            try {
                TenantScope.call(user.context(), () -> {
                    try {
                        chain.doFilter(request, response);
                        return null;
                    } catch (IOException | ServletException e) {
                        throw new WrappedException(e);
                    }
                });
            } catch (WrappedException e) {
                if (e.getCause() instanceof IOException io) {
                    throw io;
                }
                throw (ServletException) e.getCause();
            }
        } else {
            chain.doFilter(request, response);
        }
    }

    private static final class WrappedException extends RuntimeException {
        WrappedException(Exception cause) {
            super(cause);
        }
    }
}
