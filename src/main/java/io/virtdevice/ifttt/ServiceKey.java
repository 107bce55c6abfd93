package io.virtdevice.ifttt;

import jakarta.servlet.http.HttpServletRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.springframework.stereotype.Component;

/**
 * Checks IFTTT's service key on {@code /status} and {@code /test/setup}: {@code IFTTT-Service-Key}, or its
 * legacy name {@code IFTTT-Channel-Key} (shared/spec/ifttt.md §2). The comparison takes the same time
 * whatever the key sent: both sides are hashed first, then compared with {@link MessageDigest#isEqual}.
 */
@Component
class ServiceKey {

    static final String HEADER = "IFTTT-Service-Key";
    static final String LEGACY_HEADER = "IFTTT-Channel-Key";

    private final IftttSettings settings;

    ServiceKey(IftttSettings settings) {
        this.settings = settings;
    }

    /** @throws IftttError 401 unless the request carries the configured key */
    void check(HttpServletRequest request) {
        String sent = request.getHeader(HEADER);
        if (sent == null) {
            sent = request.getHeader(LEGACY_HEADER);
        }
        if (!settings.serviceKeyConfigured() || sent == null || !matches(sent, settings.serviceKey())) {
            throw IftttError.unauthorized("Invalid service key");
        }
    }

    static boolean matches(String sent, String expected) {
        return MessageDigest.isEqual(sha256(sent), sha256(expected));
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
