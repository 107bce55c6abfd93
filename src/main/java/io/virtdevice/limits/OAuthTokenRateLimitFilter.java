package io.virtdevice.limits;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.http.HttpHeaders;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2ClientAuthenticationToken;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * {@code oauth-token-requests}: token requests ({@code POST /oauth2/token}) per OAuth client, under the
 * anonymous plan (a client serves many users). The oauth module puts it in the authorization server's chain
 * right after client authentication, so only requests of an authenticated client count: nobody can spend
 * Alexa's or IFTTT's budget by sending their client id without the secret. A refusal is OAuth's own JSON
 * error shape (RFC 6749 §5.2), 429 with {@code Retry-After}, not a problem document.
 */
public class OAuthTokenRateLimitFilter extends OncePerRequestFilter {

    private final RateLimiter limiter;

    public OAuthTokenRateLimitFilter(RateLimiter limiter) {
        this.limiter = limiter;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !"POST".equals(request.getMethod()) || !"/oauth2/token".equals(request.getRequestURI());
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        Authentication auth = SecurityContextHolder.getContext().getAuthentication();
        String client = auth instanceof OAuth2ClientAuthenticationToken token && token.isAuthenticated()
                && token.getRegisteredClient() != null ? token.getRegisteredClient().getClientId() : null;
        if (client == null) {
            chain.doFilter(request, response);
            return;
        }
        Decision decision = limiter.consume(RateLimit.OAUTH_TOKEN_REQUESTS, limiter.anonymousPlan(), "client:" + client);
        if (RateLimitHeaders.announceAndAllow(decision, response)) {
            chain.doFilter(request, response);
            return;
        }
        response.setHeader(HttpHeaders.CACHE_CONTROL, "no-store");
        response.setContentType("application/json;charset=UTF-8");
        response.getWriter().write("{\"error\":\"rate_limited\",\"error_description\":\"Too many token requests "
                + "for this client; retry in " + decision.retryAfterSeconds() + " s.\"}");
    }
}
