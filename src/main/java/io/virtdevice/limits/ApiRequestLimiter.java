package io.virtdevice.limits;

import io.virtdevice.platform.security.ApiRequestLimit;
import io.virtdevice.platform.security.CurrentUser;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * The REST API's request limits, applied by the API's security chain ({@link ApiRequestLimit}) to every
 * {@code /api/**} request once its caller is known: a valid credential takes one {@code api-requests} unit
 * from its own bucket (an API key or OAuth token; the browser session counts per user), whatever the answer
 * (a 403 for what it may not do included); a request without one (sign-up, login, reset, CSRF, and the 401s
 * of unknown or expired keys, so guessing keys is bounded) takes one {@code anonymous-requests} unit from its
 * client address's bucket under the anonymous plan. The address is the request's remote address (the TCP peer,
 * or the trusted proxy's {@code X-Forwarded-For}: docs/operations.md, "Client addresses behind a proxy"); an
 * IPv6 address counts with its /64, the prefix one subscriber gets, so hopping inside it gains nothing.
 * The response carries {@code RateLimit-Policy} and {@code RateLimit} (draft-ietf-httpapi-ratelimit-headers);
 * a refused request is a 429 problem with {@code Retry-After}. A plan that does not set the limit (self-hosted
 * by default) touches no bucket and announces nothing. Health probes, Alexa's and IFTTT's endpoints and
 * URL-trigger links are not under {@code /api}.
 */
@Component
class ApiRequestLimiter implements ApiRequestLimit {

    private final RateLimiter limiter;
    private final JsonMapper json;

    ApiRequestLimiter(RateLimiter limiter, JsonMapper json) {
        this.limiter = limiter;
        this.json = json;
    }

    @Override
    public boolean admit(HttpServletRequest request, HttpServletResponse response, CurrentUser user)
            throws IOException {
        Decision decision = user != null
                ? limiter.consume(RateLimit.API_REQUESTS, user.context(), key(user))
                : limiter.consume(RateLimit.ANONYMOUS_REQUESTS, limiter.anonymousPlan(),
                        addressKey(request.getRemoteAddr()));
        if (RateLimitHeaders.announceAndAllow(decision, response)) {
            return true;
        }
        // signing in, not a plan, lifts the anonymous quota
        RateLimited refused = user == null ? new RateLimited(decision, null) : limiter.refusal(decision);
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
        return false;
    }

    /** API keys and OAuth tokens count on their own; the browser session counts per user. */
    static String key(CurrentUser user) {
        return user.credentialId() != null && user.method() != CurrentUser.AuthMethod.SESSION
                ? "credential:" + user.credentialId() : RateLimiter.sessionKey(user.userId());
    }

    /**
     * {@code address:203.0.113.7}, or {@code address:2001:db8:1:2::/64} for any address of that /64 (an
     * IPv4-mapped IPv6 address counts as its IPv4 address).
     */
    static String addressKey(String address) {
        if (address == null || address.indexOf(':') < 0) {
            return "address:" + address;
        }
        try {
            InetAddress ip = InetAddress.getByName(address); // a literal (the resolved remote address): no lookup
            if (!(ip instanceof Inet6Address)) {
                return "address:" + ip.getHostAddress();
            }
            byte[] prefix = Arrays.copyOf(Arrays.copyOf(ip.getAddress(), 8), 16);
            return "address:" + InetAddress.getByAddress(prefix).getHostAddress() + "/64";
        } catch (UnknownHostException e) {
            return "address:" + address;
        }
    }
}
