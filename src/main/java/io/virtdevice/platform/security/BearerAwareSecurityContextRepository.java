package io.virtdevice.platform.security;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.security.core.context.DeferredSecurityContext;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.web.context.SecurityContextRepository;

/**
 * The API chain's context repository: browser requests keep their session-backed context; a bearer
 * request is stateless. Without this, Spring Security's session management sees a user authenticated
 * during the request (by {@link BearerTokenFilter}) and saves the context into a brand-new HTTP session, so
 * every API-key or OAuth call would create (and store) a session it never uses again.
 */
final class BearerAwareSecurityContextRepository implements SecurityContextRepository {

    private final SecurityContextRepository sessions;

    BearerAwareSecurityContextRepository(SecurityContextRepository sessions) {
        this.sessions = sessions;
    }

    @Override
    @Deprecated
    @SuppressWarnings("deprecation")
    public SecurityContext loadContext(org.springframework.security.web.context.HttpRequestResponseHolder holder) {
        return bearer(holder.getRequest()) ? SecurityContextHolder.createEmptyContext() : sessions.loadContext(holder);
    }

    @Override
    public DeferredSecurityContext loadDeferredContext(HttpServletRequest request) {
        if (bearer(request)) {
            return new Empty();
        }
        return sessions.loadDeferredContext(request);
    }

    @Override
    public void saveContext(SecurityContext context, HttpServletRequest request, HttpServletResponse response) {
        if (!bearer(request)) {
            sessions.saveContext(context, request, response);
        }
    }

    /** True for bearer requests, so session management treats their authentication as already stored. */
    @Override
    public boolean containsContext(HttpServletRequest request) {
        return bearer(request) || sessions.containsContext(request);
    }

    private static boolean bearer(HttpServletRequest request) {
        return BearerTokenFilter.bearer(request).isPresent();
    }

    private static final class Empty implements DeferredSecurityContext {
        @Override
        public SecurityContext get() {
            return SecurityContextHolder.createEmptyContext();
        }

        @Override
        public boolean isGenerated() {
            return true;
        }
    }
}
