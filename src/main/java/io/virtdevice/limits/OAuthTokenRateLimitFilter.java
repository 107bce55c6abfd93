package io.virtdevice.limits;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpHeaders;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * {@code oauth-token-requests}: token requests ({@code POST /oauth2/token}) per OAuth client, under the
 * anonymous plan (a client serves many users). Runs before Spring Security, where the token endpoint lives.
 * A refusal is OAuth's own JSON error shape (RFC 6749 §5.2), 429 with {@code Retry-After}, not a problem
 * document; a request naming no client is left to the authorization server (which answers invalid_client).
 */
class OAuthTokenRateLimitFilter extends OncePerRequestFilter {

    private final RateLimiter limiter;

    OAuthTokenRateLimitFilter(RateLimiter limiter) {
        this.limiter = limiter;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !"POST".equals(request.getMethod()) || !"/oauth2/token".equals(request.getRequestURI());
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String client = clientId(request);
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

    /** The client of HTTP Basic client authentication, else the {@code client_id} parameter; at most 100 chars. */
    static String clientId(HttpServletRequest request) {
        String header = request.getHeader(HttpHeaders.AUTHORIZATION);
        String client = null;
        if (header != null && header.regionMatches(true, 0, "Basic ", 0, 6)) {
            try {
                String decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
                int colon = decoded.indexOf(':');
                client = colon > 0 ? java.net.URLDecoder.decode(decoded.substring(0, colon), StandardCharsets.UTF_8) : null;
            } catch (IllegalArgumentException e) {
                client = null;
            }
        }
        if (client == null) {
            client = request.getParameter("client_id");
        }
        return client == null || client.isBlank() || client.length() > 100 ? null : client;
    }

    @Configuration(proxyBeanMethods = false)
    static class Registration {

        /** Ahead of Spring Security's filter (order -100), whose chain answers the token endpoint. */
        @Bean
        FilterRegistrationBean<OAuthTokenRateLimitFilter> oauthTokenRateLimitFilter(RateLimiter limiter) {
            FilterRegistrationBean<OAuthTokenRateLimitFilter> registration =
                    new FilterRegistrationBean<>(new OAuthTokenRateLimitFilter(limiter));
            registration.addUrlPatterns("/oauth2/token");
            registration.setOrder(-101);
            return registration;
        }
    }
}
