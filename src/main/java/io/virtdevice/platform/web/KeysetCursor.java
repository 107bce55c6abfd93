package io.virtdevice.platform.web;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.UUID;
import org.springframework.http.HttpStatus;

/**
 * The position after the last row of a page ordered by {@code (created_at, id)}, handed to clients as an
 * opaque base64url string. Clients must not build cursors; anything that does not decode is a 400.
 */
public record KeysetCursor(Instant createdAt, UUID id) {

    private static final int MAX_LENGTH = 200;

    public String encode() {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString((createdAt + "|" + id).getBytes(StandardCharsets.UTF_8));
    }

    /** The cursor a client sent back, or null for none; a cursor that does not decode is a 400 problem. */
    public static KeysetCursor decode(String cursor) {
        if (cursor == null || cursor.isEmpty()) {
            return null;
        }
        try {
            if (cursor.length() > MAX_LENGTH) {
                throw new IllegalArgumentException("too long");
            }
            String raw = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            int bar = raw.indexOf('|');
            if (bar < 0) {
                throw new IllegalArgumentException("no separator");
            }
            return new KeysetCursor(Instant.parse(raw.substring(0, bar)), UUID.fromString(raw.substring(bar + 1)));
        } catch (IllegalArgumentException | DateTimeParseException e) {
            throw new ApiProblem(HttpStatus.BAD_REQUEST, ProblemTypes.INVALID_PARAMETER, "Invalid parameter",
                    "Parameter 'cursor' is not a cursor this API issued.");
        }
    }
}
