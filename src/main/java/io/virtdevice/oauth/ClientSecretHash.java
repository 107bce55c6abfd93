package io.virtdevice.oauth;

import io.virtdevice.platform.crypto.Tokens;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.springframework.security.crypto.password.PasswordEncoder;

/**
 * Compares a presented client secret with the stored SHA-256 (hex) in constant time. Client secrets are
 * 256-bit random values, so a fast hash is enough and a slow one would only make the token endpoint a
 * CPU sink (D-09).
 */
final class ClientSecretHash implements PasswordEncoder {

    @Override
    public String encode(CharSequence rawPassword) {
        return HexFormat.of().formatHex(Tokens.sha256(rawPassword.toString()));
    }

    @Override
    public boolean matches(CharSequence rawPassword, String encodedPassword) {
        if (rawPassword == null || encodedPassword == null || rawPassword.length() > 512) {
            return false;
        }
        byte[] expected;
        try {
            expected = HexFormat.of().parseHex(encodedPassword);
        } catch (IllegalArgumentException e) {
            return false;
        }
        return MessageDigest.isEqual(Tokens.sha256(rawPassword.toString()), expected);
    }

    @Override
    public boolean upgradeEncoding(String encodedPassword) {
        return false;
    }
}
