package io.virtdevice.platform.web;

import java.net.URI;

/** The stable {@code type} URIs of VirtDevice's RFC 9457 problem responses. */
public final class ProblemTypes {

    private static final String BASE = "https://virtdevice.io/problems/";

    public static final URI MALFORMED_REQUEST = of("malformed-request");
    public static final URI VALIDATION = of("validation-failed");
    public static final URI INVALID_PARAMETER = of("invalid-parameter");
    public static final URI BODY_TOO_LARGE = of("body-too-large");
    public static final URI UNSUPPORTED_MEDIA_TYPE = of("unsupported-media-type");
    public static final URI METHOD_NOT_ALLOWED = of("method-not-allowed");
    public static final URI NOT_ACCEPTABLE = of("not-acceptable");
    public static final URI NOT_FOUND = of("not-found");
    public static final URI UNAUTHENTICATED = of("unauthenticated");
    public static final URI FORBIDDEN = of("forbidden");
    public static final URI CONFLICT = of("conflict");
    public static final URI PRECONDITION_FAILED = of("precondition-failed");
    public static final URI PLAN_LIMIT_REACHED = of("plan-limit-reached");
    public static final URI TOO_MANY_REQUESTS = of("too-many-requests");
    public static final URI INVALID_CREDENTIALS = of("invalid-credentials");
    public static final URI INVALID_TOKEN = of("invalid-token");
    public static final URI SERVICE_BUSY = of("service-busy");
    public static final URI SERVICE_UNAVAILABLE = of("service-unavailable");
    public static final URI INTERNAL = of("internal-error");

    private ProblemTypes() {}

    public static URI of(String slug) {
        return URI.create(BASE + slug);
    }
}
