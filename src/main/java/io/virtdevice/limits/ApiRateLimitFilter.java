package io.virtdevice.limits;

import io.virtdevice.platform.security.CurrentUser;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.MediaType;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;
import tools.jackson.databind.json.JsonMapper;

/**
 * The REST API's request limit: every {@code /api/**} request that passed authentication takes one unit from
 * its credential's bucket (an API key or OAuth token; the browser session counts per user) and its
 * response carries {@code RateLimit-Policy} and {@code RateLimit}
 * (draft-ietf-httpapi-ratelimit-headers-11). A refused request is a 429 problem with {@code Retry-After}.
 * Runs after Spring Security's chain (the principal and tenant scope are bound), so requests refused there
 * (401, 403) are not counted, and neither are anonymous requests (sign-up, login, password reset: guarded by
 * the login throttle and the {@code mails} limit; an address-keyed bucket would be one bucket for everybody
 * behind a proxy). Nothing else passes this filter: health probes, Alexa's and IFTTT's endpoints
 * and URL-trigger links have other paths.
 */
class ApiRateLimitFilter extends OncePerRequestFilter {

    private final RateLimiter limiter;
    private final JsonMapper json;

    ApiRateLimitFilter(RateLimiter limiter, JsonMapper json) {
        this.limiter = limiter;
        this.json = json;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        Authentication auth = SecurityContextHolder.getContext().getAuthentication();
        if (auth == null || !(auth.getPrincipal() instanceof CurrentUser user)) {
            chain.doFilter(request, response); // anonymous: docs/decisions.md, "Rate limits"
            return;
        }
        Decision decision = limiter.consume(RateLimit.API_REQUESTS, user.context(), key(user));
        if (RateLimitHeaders.announceAndAllow(decision, response)) {
            chain.doFilter(request, response);
            return;
        }
        RateLimited refused = limiter.refusal(decision);
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        response.setCharacterEncoding(StandardCharsets.UTF_8.name());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", refused.getBody().getType().toString());
        body.put("title", refused.getBody().getTitle());
        body.put("status", 429);
        body.put("detail", refused.getBody().getDetail());
        body.put("instance", request.getRequestURI());
        if (refused.getBody().getProperties() != null) {
            body.putAll(refused.getBody().getProperties());
        }
        response.getWriter().write(json.writeValueAsString(body));
    }

    /** API keys and OAuth tokens count on their own; the browser session counts per user. */
    static String key(CurrentUser user) {
        return user.credentialId() != null && user.method() != CurrentUser.AuthMethod.SESSION
                ? "credential:" + user.credentialId() : RateLimiter.sessionKey(user.userId());
    }

    @Configuration(proxyBeanMethods = false)
    static class Registration {

        /** After Spring Security's filter (order -100), for requests only (not error or async dispatches). */
        @Bean
        FilterRegistrationBean<ApiRateLimitFilter> apiRateLimitFilter(RateLimiter limiter, JsonMapper json) {
            FilterRegistrationBean<ApiRateLimitFilter> registration =
                    new FilterRegistrationBean<>(new ApiRateLimitFilter(limiter, json));
            registration.addUrlPatterns("/api/*");
            registration.setOrder(0);
            return registration;
        }
    }
}
