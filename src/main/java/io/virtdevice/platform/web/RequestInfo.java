package io.virtdevice.platform.web;

import java.util.Optional;

/** Where the current request came from, for the activity log; bound by {@link RequestIdFilter}. */
public record RequestInfo(String requestId, String ipAddress, String userAgent) {

    private static final ThreadLocal<RequestInfo> CURRENT = new ThreadLocal<>();

    public static Optional<RequestInfo> current() {
        return Optional.ofNullable(CURRENT.get());
    }

    static void bind(RequestInfo info) {
        CURRENT.set(info);
    }

    static void clear() {
        CURRENT.remove();
    }
}
