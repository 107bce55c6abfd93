package io.virtdevice.platform.crypto;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Secrets we issue (API keys, URL-trigger links, e-mailed tokens): 256 random bits from a CSPRNG behind a
 * readable prefix, and their SHA-256, which is all the database ever stores (security review D-09).
 */
public final class Tokens {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Base64.Encoder URL = Base64.getUrlEncoder().withoutPadding();

    private Tokens() {}

    /** A new secret such as {@code vdk_3q2+...}: prefix plus 43 URL-safe characters (256 bits). */
    public static String generate(String prefix) {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return prefix + URL.encodeToString(bytes);
    }

    public static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The first characters of a secret, safe to show so users can tell their keys apart. */
    public static String displayPrefix(String token, int length) {
        return token.substring(0, Math.min(length, token.length()));
    }
}
