package io.virtdevice.platform.web;

import org.springframework.http.HttpStatus;

/**
 * The {@code limit} query parameter of a cursor-paginated list: taken as a string so that anything that is not
 * a whole number in range is the same RFC 9457 400 as an out-of-range number, never a conversion 500.
 */
public final class PageLimit {

    private PageLimit() {}

    /** {@code value} as a page size; absent or empty: {@code defaultSize}. */
    public static int parse(String value, int defaultSize, int max) {
        if (value == null || value.isEmpty()) {
            return defaultSize;
        }
        try {
            int parsed = Integer.parseInt(value);
            if (parsed >= 1 && parsed <= max) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ApiProblem(HttpStatus.BAD_REQUEST, ProblemTypes.INVALID_PARAMETER, "Invalid parameter",
                "Parameter 'limit' must be a whole number from 1 to " + max + ".");
    }
}
