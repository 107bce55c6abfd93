package io.virtdevice.lambda;

import java.net.URI;
import java.util.Locale;
import java.util.Map;

/**
 * The function's configuration, from its environment variables. Never throws: a missing or malformed value
 * becomes {@link #problem()}, and every directive is then answered with an ErrorResponse naming it in the log
 * (an exception at start-up would only make Alexa say "device not responding").
 *
 * @param directivesUri where directives go ({@code VIRTDEVICE_URL} + {@code /alexa/v3/directives}), or null
 * @param region the Alexa region sent as {@code X-VirtDevice-Alexa-Region} ({@code NA}, {@code EU},
 *     {@code FE}), or null when neither {@code VIRTDEVICE_ALEXA_REGION} nor {@code AWS_REGION} names one
 * @param deadlineMillis the most one directive may take, backend call included (Alexa waits 8 s)
 * @param problem what is wrong with the configuration, or null
 */
record LambdaSettings(URI directivesUri, String region, long deadlineMillis, String problem) {

    static final String DIRECTIVES_PATH = "/alexa/v3/directives";
    static final long DEFAULT_DEADLINE_MILLIS = 6500;
    /** Alexa gives up after 8 s (spec §1); answering later than this is pointless. */
    static final long MAX_DEADLINE_MILLIS = 7500;

    static LambdaSettings from(Map<String, String> env) {
        String problem = null;
        URI uri = null;
        String url = trimmed(env.get("VIRTDEVICE_URL"));
        if (url == null) {
            problem = "VIRTDEVICE_URL is not set";
        } else {
            uri = directivesUri(url);
            if (uri == null) {
                problem = "VIRTDEVICE_URL must be an absolute http(s) URL without query, e.g. https://virtdevice.example.com";
            }
        }

        String region;
        String override = trimmed(env.get("VIRTDEVICE_ALEXA_REGION"));
        if (override != null) {
            region = override.toUpperCase(Locale.ROOT);
            if (!region.equals("NA") && !region.equals("EU") && !region.equals("FE")) {
                region = null;
                problem = problem != null ? problem : "VIRTDEVICE_ALEXA_REGION must be NA, EU or FE";
            }
        } else {
            region = regionOf(trimmed(env.get("AWS_REGION")));
        }

        long deadline = DEFAULT_DEADLINE_MILLIS;
        String configured = trimmed(env.get("VIRTDEVICE_DEADLINE_MS"));
        if (configured != null) {
            try {
                deadline = Long.parseLong(configured);
            } catch (NumberFormatException e) {
                deadline = -1;
            }
            if (deadline < 100 || deadline > MAX_DEADLINE_MILLIS) {
                deadline = DEFAULT_DEADLINE_MILLIS;
                problem = problem != null ? problem
                        : "VIRTDEVICE_DEADLINE_MS must be a number of milliseconds from 100 to " + MAX_DEADLINE_MILLIS;
            }
        }
        return new LambdaSettings(uri, region, deadline, problem);
    }

    /**
     * The Alexa region a Lambda region serves (spec §1): {@code us-east-1} NA, {@code eu-west-1} EU,
     * {@code us-west-2} FE; null for any other region (Alexa invokes skills only in these three).
     */
    static String regionOf(String awsRegion) {
        if (awsRegion == null) {
            return null;
        }
        return switch (awsRegion) {
            case "us-east-1" -> "NA";
            case "eu-west-1" -> "EU";
            case "us-west-2" -> "FE";
            default -> null;
        };
    }

    /** The directive endpoint under a base URL (a URL that already ends with it is taken as it is). */
    static URI directivesUri(String url) {
        URI base;
        try {
            base = URI.create(url);
        } catch (IllegalArgumentException e) {
            return null;
        }
        String scheme = base.getScheme() == null ? "" : base.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || base.getHost() == null
                || base.getRawQuery() != null || base.getRawFragment() != null || base.getRawUserInfo() != null) {
            return null;
        }
        String path = base.getRawPath() == null ? "" : base.getRawPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        if (!path.endsWith(DIRECTIVES_PATH)) {
            path = path + DIRECTIVES_PATH;
        }
        return URI.create(scheme + "://" + base.getRawAuthority() + path);
    }

    boolean https() {
        return directivesUri != null && "https".equals(directivesUri.getScheme());
    }

    private static String trimmed(String value) {
        return value == null || value.isBlank() ? null : value.strip();
    }
}
