package io.virtdevice.webhooks;

import java.security.SecureRandom;
import java.util.Base64;

/**
 * A Standard Webhooks signing secret: {@code whsec_} followed by the base64 of 24 to 64 random bytes; the
 * decoded bytes are the HMAC key. Ours are 32 bytes, unique per webhook, shown once.
 */
final class WebhookSecret {

    static final String PREFIX = "whsec_";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] key;

    private WebhookSecret(byte[] key) {
        if (key.length < 24 || key.length > 64) {
            throw new IllegalArgumentException("a webhook secret has 24 to 64 bytes");
        }
        this.key = key.clone();
    }

    static WebhookSecret generate() {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        return new WebhookSecret(key);
    }

    static WebhookSecret of(byte[] key) {
        return new WebhookSecret(key);
    }

    static WebhookSecret parse(String encoded) {
        if (!encoded.startsWith(PREFIX)) {
            throw new IllegalArgumentException("a webhook secret starts with " + PREFIX);
        }
        return new WebhookSecret(Base64.getDecoder().decode(encoded.substring(PREFIX.length())));
    }

    byte[] key() {
        return key.clone();
    }

    String encoded() {
        return PREFIX + Base64.getEncoder().encodeToString(key);
    }

    @Override
    public String toString() {
        return PREFIX + "…";
    }
}
