package io.virtdevice.platform.crypto;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;
import org.springframework.stereotype.Component;

/**
 * Argon2id in the PHC string format ({@code $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>}), OWASP's
 * minimum of 19 MiB, 2 iterations, parallelism 1.
 *
 * <p>The database never hands a stored hash to the application: it returns only the "salt prefix" (the
 * PHC string up to the digest), the application derives the full candidate string from the password
 * with {@link #derive}, and the database compares. For an unknown email, {@link #decoyPrefix} returns a
 * prefix that is stable per email, so both cases cost the same and look the same.
 */
@Component
public class PasswordHasher {

    public static final int MIN_LENGTH = 12;
    public static final int MAX_LENGTH = 128;

    private static final int MEMORY_KIB = 19_456;
    private static final int ITERATIONS = 2;
    private static final int PARALLELISM = 1;
    private static final int HASH_LENGTH = 32;
    private static final Pattern PREFIX =
            Pattern.compile("^\\$argon2id\\$v=19\\$m=(\\d{1,7}),t=(\\d{1,3}),p=(\\d{1,2})\\$([A-Za-z0-9+/]{8,64})$");
    private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getDecoder();

    private final SecureRandom random = new SecureRandom();
    private final byte[] decoyKey;

    public PasswordHasher() {
        decoyKey = new byte[32];
        random.nextBytes(decoyKey);
    }

    /** A fresh PHC string for a new password. */
    public String hash(String password) {
        byte[] salt = new byte[16];
        random.nextBytes(salt);
        return derive(prefix(MEMORY_KIB, ITERATIONS, PARALLELISM, salt), password);
    }

    /** The full PHC string for a password under the parameters and salt of a stored prefix. */
    public String derive(String saltPrefix, String password) {
        Matcher m = PREFIX.matcher(saltPrefix);
        if (!m.matches()) {
            throw new IllegalArgumentException("not an argon2id salt prefix");
        }
        int memory = Integer.parseInt(m.group(1));
        int iterations = Integer.parseInt(m.group(2));
        int parallelism = Integer.parseInt(m.group(3));
        byte[] salt = B64D.decode(m.group(4));
        Argon2Parameters params = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                .withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withMemoryAsKB(memory)
                .withIterations(iterations)
                .withParallelism(parallelism)
                .withSalt(salt)
                .build();
        Argon2BytesGenerator generator = new Argon2BytesGenerator();
        generator.init(params);
        byte[] out = new byte[HASH_LENGTH];
        byte[] pw = password.getBytes(StandardCharsets.UTF_8);
        generator.generateBytes(pw, out);
        Arrays.fill(pw, (byte) 0);
        return saltPrefix + "$" + B64.encodeToString(out);
    }

    /** A salt prefix for an email that has no account: the same every time for that email. */
    public String decoyPrefix(String email) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(decoyKey, "HmacSHA256"));
            byte[] salt = Arrays.copyOf(mac.doFinal(email.getBytes(StandardCharsets.UTF_8)), 16);
            return prefix(MEMORY_KIB, ITERATIONS, PARALLELISM, salt);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String prefix(int memory, int iterations, int parallelism, byte[] salt) {
        return "$argon2id$v=19$m=" + memory + ",t=" + iterations + ",p=" + parallelism + "$" + B64.encodeToString(salt);
    }
}
