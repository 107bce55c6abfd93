package io.virtdevice.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.virtdevice.platform.crypto.CryptoSettings;
import io.virtdevice.platform.crypto.SecretBox;
import java.lang.reflect.Constructor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.core.env.Environment;
import org.springframework.mock.env.MockEnvironment;

class SecretBoxTests {

    @TempDir
    Path dir;

    @Test
    void opensWhatItSealedOnlyForTheSameContext() throws Exception {
        SecretBox box = box(new CryptoSettings(Base64.getEncoder().encodeToString(new byte[32]), null), env());
        byte[] sealed = box.seal("secret".getBytes(StandardCharsets.UTF_8), "webhooks:1");
        assertThat(new String(box.open(sealed, "webhooks:1"), StandardCharsets.UTF_8)).isEqualTo("secret");
        assertThat(new String(sealed, StandardCharsets.ISO_8859_1)).doesNotContain("secret");
        assertThat(box.seal("secret".getBytes(StandardCharsets.UTF_8), "webhooks:1")).isNotEqualTo(sealed);
        assertThatThrownBy(() -> box.open(sealed, "webhooks:2")).isInstanceOf(IllegalStateException.class);
        byte[] tampered = sealed.clone();
        tampered[tampered.length - 1] ^= 1;
        assertThatThrownBy(() -> box.open(tampered, "webhooks:1")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> box.open(Arrays.copyOf(sealed, 10), "webhooks:1"))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void generatesAPrivateKeyFileOnceAndReusesIt() throws Exception {
        MockEnvironment env = env().withProperty("virtdevice.database.embedded.data-directory",
                dir.resolve("data/postgres").toString());
        SecretBox first = box(new CryptoSettings(null, null), env);
        Path file = dir.resolve("data/secret.key");
        assertThat(file).exists();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        byte[] sealed = first.seal(new byte[] {1, 2, 3}, "x");
        SecretBox second = box(new CryptoSettings(null, null), env);
        assertThat(second.open(sealed, "x")).containsExactly(1, 2, 3);
        assertThat(Base64.getDecoder().decode(Files.readString(file).strip())).hasSize(32);
    }

    @Test
    void refusesToStartInProductionWithoutAnExplicitKey() {
        MockEnvironment prod = env();
        prod.setActiveProfiles("prod");
        assertThatThrownBy(() -> box(new CryptoSettings(null, dir.resolve("k").toString()), prod))
                .hasRootCauseInstanceOf(IllegalStateException.class)
                .rootCause()
                .hasMessageContaining("Refusing to start");
        assertThat(dir.resolve("k")).doesNotExist();
        assertThatThrownBy(() -> box(new CryptoSettings(Base64.getEncoder().encodeToString(new byte[16]), null), prod))
                .rootCause()
                .hasMessageContaining("32 bytes");
    }

    private static MockEnvironment env() {
        return new MockEnvironment();
    }

    private static SecretBox box(CryptoSettings settings, Environment env) throws Exception {
        Constructor<SecretBox> c = SecretBox.class.getDeclaredConstructor(CryptoSettings.class, Environment.class);
        c.setAccessible(true);
        return c.newInstance(settings, env);
    }
}
