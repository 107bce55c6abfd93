package io.virtdevice.platform.web;

import java.util.List;

/**
 * The dashboard's Content-Security-Policy: scripts and styles from this origin only (no inline script or
 * style, no eval), forms posted to this origin only. A page whose forms are redirected elsewhere (the
 * billing page, to Stripe) names those origins and nothing more.
 */
public final class ContentSecurityPolicy {

    public static final String DEFAULT = withFormTargets(List.of());

    private ContentSecurityPolicy() {}

    /** The policy with {@code form-action 'self'} plus these origins. */
    public static String withFormTargets(List<String> origins) {
        StringBuilder formAction = new StringBuilder("'self'");
        for (String origin : origins) {
            if (!origin.matches("https?://[A-Za-z0-9.\\-]+(:[0-9]{1,5})?")) {
                throw new IllegalArgumentException("not an origin: " + origin);
            }
            formAction.append(' ').append(origin);
        }
        return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
                + "base-uri 'self'; frame-ancestors 'none'; form-action " + formAction + "; object-src 'none'";
    }
}
