package io.virtdevice.platform.crypto;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.core.env.Environment;
import org.springframework.core.env.Profiles;
import org.springframework.stereotype.Component;
import org.springframework.util.StringUtils;

/**
 * Encrypts the secrets VirtDevice must replay later (security review D-09) with AES-256-GCM under the
 * master key of {@link CryptoSettings}. Each ciphertext is bound to where it is stored (the associated
 * data, e.g. {@code "webhooks.secret:<id>"}), so a ciphertext copied into another row or column does not
 * open. Format: version byte, 12-byte random nonce, ciphertext with its 16-byte tag.
 *
 * <p>Without a configured key the application generates one once and keeps it in a 0600 file (the
 * default embedded run); the {@code prod} profile refuses to start without an explicit key, since losing
 * a generated file makes every stored secret unusable.
 */
@Component
public class SecretBox {

    private static final Logger log = LoggerFactory.getLogger(SecretBox.class);
    private static final byte VERSION = 1;
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKeySpec key;

    @Autowired
    SecretBox(CryptoSettings settings, Environment environment) {
        this(resolveKey(settings, environment));
    }

    SecretBox(byte[] key) {
        if (key.length != 32) {
            throw new IllegalArgumentException("the master key must be 32 bytes");
        }
        this.key = new SecretKeySpec(key, "AES");
    }

    /** Encrypts {@code plaintext} for the place named by {@code context}. */
    public byte[] seal(byte[] plaintext, String context) {
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(context.getBytes(StandardCharsets.UTF_8));
            byte[] sealed = cipher.doFinal(plaintext);
            return ByteBuffer.allocate(1 + NONCE_BYTES + sealed.length).put(VERSION).put(nonce).put(sealed).array();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is unavailable", e);
        }
    }

    /**
     * Decrypts what {@link #seal} produced for the same {@code context}.
     *
     * @throws IllegalStateException if the data was altered, moved, or sealed under another key
     */
    public byte[] open(byte[] sealed, String context) {
        if (sealed.length < 1 + NONCE_BYTES + TAG_BITS / 8 || sealed[0] != VERSION) {
            throw new IllegalStateException("not a sealed secret");
        }
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key,
                    new GCMParameterSpec(TAG_BITS, Arrays.copyOfRange(sealed, 1, 1 + NONCE_BYTES)));
            cipher.updateAAD(context.getBytes(StandardCharsets.UTF_8));
            return cipher.doFinal(sealed, 1 + NONCE_BYTES, sealed.length - 1 - NONCE_BYTES);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("a sealed secret could not be opened (wrong key or altered data)", e);
        }
    }

    static byte[] resolveKey(CryptoSettings settings, Environment environment) {
        if (StringUtils.hasText(settings.secretKey())) {
            return decodeKey(settings.secretKey().strip(), "virtdevice.crypto.secret-key");
        }
        if (environment.acceptsProfiles(Profiles.of("prod"))) {
            throw new IllegalStateException("Refusing to start: the prod profile needs an explicit master key. Set "
                    + "virtdevice.crypto.secret-key (VIRTDEVICE_CRYPTO_SECRET_KEY) to base64 of 32 random bytes, "
                    + "e.g. `openssl rand -base64 32`, and keep it in your secret store.");
        }
        Path file = StringUtils.hasText(settings.secretKeyFile())
                ? Path.of(settings.secretKeyFile())
                : Path.of(environment.getProperty("virtdevice.database.embedded.data-directory", "data/postgres"))
                        .toAbsolutePath()
                        .normalize()
                        .resolveSibling("secret.key");
        return loadOrCreate(file.toAbsolutePath().normalize());
    }

    private static byte[] loadOrCreate(Path file) {
        try {
            if (Files.exists(file)) {
                return decodeKey(Files.readString(file).strip(), file.toString());
            }
            Files.createDirectories(file.getParent());
            byte[] key = new byte[32];
            RANDOM.nextBytes(key);
            Path temp = Files.createTempFile(file.getParent(), ".secret", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try {
                Files.writeString(temp, Base64.getEncoder().encodeToString(key) + "\n");
                // A hard link is created atomically or not at all: of two instances starting together, one
                // key wins and both use it.
                Files.createLink(file, temp);
                log.warn("Generated a new master key in {}: back it up; without it stored webhook secrets cannot "
                        + "be used. Set virtdevice.crypto.secret-key in production.", file);
                return key;
            } catch (FileAlreadyExistsException e) {
                return decodeKey(Files.readString(file).strip(), file.toString());
            } finally {
                Files.deleteIfExists(temp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not read or create the master key file " + file, e);
        }
    }

    private static byte[] decodeKey(String base64, String origin) {
        byte[] key;
        try {
            key = Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("The master key in " + origin + " is not base64");
        }
        if (key.length != 32) {
            throw new IllegalStateException("The master key in " + origin + " must be 32 bytes (AES-256), not "
                    + key.length);
        }
        return key;
    }
}
