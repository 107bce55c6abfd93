package io.virtdevice.accounts;

import io.virtdevice.platform.security.Authorities;
import io.virtdevice.platform.security.CurrentUser;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;
import java.util.UUID;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.web.context.SecurityContextRepository;
import org.springframework.security.web.csrf.CsrfTokenRepository;
import org.springframework.session.FindByIndexNameSessionRepository;
import org.springframework.session.Session;
import org.springframework.stereotype.Component;

/**
 * Browser sessions (Spring Session JDBC, indexed by user id): starting one on sign-in and ending the
 * current, all, or all other sessions of a user. Called after the business transaction committed.
 */
@Component
class Sessions {

    private final SecurityContextRepository contexts;
    private final CsrfTokenRepository csrfTokens;
    private final FindByIndexNameSessionRepository<? extends Session> repository;

    Sessions(SecurityContextRepository contexts, CsrfTokenRepository csrfTokens,
            FindByIndexNameSessionRepository<? extends Session> repository) {
        this.contexts = contexts;
        this.csrfTokens = csrfTokens;
        this.repository = repository;
    }

    /**
     * Signs the user in with a brand-new session (a session id known before sign-in is worthless after it:
     * no fixation) and a new CSRF token.
     */
    void signIn(CurrentUser user, HttpServletRequest request, HttpServletResponse response) {
        HttpSession previous = request.getSession(false);
        if (previous != null) {
            previous.invalidate();
        }
        request.getSession(true);
        SecurityContext context = SecurityContextHolder.createEmptyContext();
        context.setAuthentication(UsernamePasswordAuthenticationToken.authenticated(user, null, Authorities.of(user)));
        SecurityContextHolder.setContext(context);
        contexts.saveContext(context, request, response);
        csrfTokens.saveToken(csrfTokens.generateToken(request), request, response);
    }

    /** Ends the request's session and clears its CSRF token. */
    void signOut(HttpServletRequest request, HttpServletResponse response) {
        HttpSession session = request.getSession(false);
        if (session != null) {
            session.invalidate();
        }
        SecurityContextHolder.clearContext();
        csrfTokens.saveToken(null, request, response);
    }

    /** Ends every session of the user, on every device. */
    void endAll(UUID userId) {
        endAllExcept(userId, null);
    }

    /** Ends every session of the user except the request's own. */
    void endOthers(UUID userId, HttpServletRequest request) {
        HttpSession current = request.getSession(false);
        endAllExcept(userId, current == null ? null : current.getId());
    }

    private void endAllExcept(UUID userId, String keep) {
        repository.findByPrincipalName(userId.toString()).keySet().stream()
                .filter(id -> !id.equals(keep))
                .forEach(repository::deleteById);
    }
}
