package io.virtdevice.platform.security;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * The REST API's published request limit, applied by the API's security chain as soon as the caller is known
 * and before anything can refuse the request, so every {@code /api/**} response is counted and announced:
 * a valid credential's requests (including the 403s of what it may not do) count on its own quota, requests
 * without one (sign-up, login, reset, the 401s of unknown or expired keys, CSRF refusals) on the client
 * address's. Implemented by the limits module (the platform cannot depend on it); without an implementation
 * nothing is counted.
 */
public interface ApiRequestLimit {

    /** Request attribute set once the request was counted (a request is counted once). */
    String COUNTED = ApiRequestLimit.class.getName() + ".counted";

    /**
     * Counts the request on {@code user}'s credential (or, when null, on the client address) and sets the
     * {@code RateLimit-Policy}/{@code RateLimit} fields on the response.
     *
     * @return false when the limit refused the request; the 429 is then written
     */
    boolean admit(HttpServletRequest request, HttpServletResponse response, CurrentUser user)
            throws IOException;

    /** {@link #admit} once per request: a request already counted is let through as it is. */
    static boolean admitOnce(ApiRequestLimit limit, HttpServletRequest request, HttpServletResponse response,
            CurrentUser user) throws IOException {
        if (limit == null || request.getAttribute(COUNTED) != null) {
            return true;
        }
        request.setAttribute(COUNTED, Boolean.TRUE);
        return limit.admit(request, response, user);
    }
}
