package io.virtdevice.platform.database;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which PostgreSQL binaries each os.name/os.arch gets, and what a user sees when there are none. */
class EmbeddedPostgresPlatformTests {

    @ParameterizedTest(name = "{0} / {1} -> {2}")
    @CsvSource({
        // the values the JDKs report on each platform
        "Linux, amd64, LINUX_AMD64, postgres-linux-x86_64.txz",
        "Linux, aarch64, LINUX_ARM64, postgres-linux-arm_64.txz",
        "Mac OS X, x86_64, MACOS_AMD64, postgres-darwin-x86_64.txz",
        "Mac OS X, aarch64, MACOS_ARM64, postgres-darwin-arm_64.txz",
        "Windows 11, amd64, WINDOWS_AMD64, postgres-windows-x86_64.txz",
        "Windows Server 2022, amd64, WINDOWS_AMD64, postgres-windows-x86_64.txz",
        "Darwin, arm64, MACOS_ARM64, postgres-darwin-arm_64.txz",
    })
    void supportedPlatforms(String osName, String osArch, EmbeddedPostgresPlatform expected, String resource) {
        assertThat(EmbeddedPostgresPlatform.of(osName, osArch)).contains(expected);
        assertThat(expected.resource()).isEqualTo(resource);
    }

    @ParameterizedTest(name = "{0} / {1} unsupported")
    @CsvSource({
        "Linux, arm", // Raspberry Pi OS 32-bit
        "Linux, x86",
        "Linux, riscv64",
        "Linux, ppc64le",
        "Windows 11, aarch64",
        "FreeBSD, amd64",
        "SunOS, sparcv9",
        "'', ''",
    })
    void unsupportedPlatforms(String osName, String osArch) {
        assertThat(EmbeddedPostgresPlatform.of(osName, osArch)).isEmpty();
        assertThatThrownBy(() -> EmbeddedPostgresPlatform.require(osName, osArch, getClass().getClassLoader()))
                .isInstanceOf(EmbeddedPostgresUnavailableException.class)
                .hasMessage("The embedded PostgreSQL has no binaries for " + osName + " " + osArch + ". It runs on "
                        + "Linux x86-64, Linux arm64, macOS Intel, macOS Apple silicon, Windows x86-64 "
                        + "(64-bit operating systems only).");
    }

    @Test
    void everyPlatformsBinariesAreOnTheBuildsClassPath() {
        for (EmbeddedPostgresPlatform platform : EmbeddedPostgresPlatform.values()) {
            assertThat(EmbeddedPostgresPlatform.require(
                            osName(platform), platform.name().endsWith("ARM64") ? "aarch64" : "amd64",
                            getClass().getClassLoader()))
                    .isEqualTo(platform);
        }
    }

    @Test
    void aSlimJarForAnotherPlatformNamesTheJarToDownload() {
        ClassLoader linuxAmd64Only = carrying(Set.of("postgres-linux-x86_64.txz"));
        assertThat(EmbeddedPostgresPlatform.require("Linux", "amd64", linuxAmd64Only))
                .isEqualTo(EmbeddedPostgresPlatform.LINUX_AMD64);
        assertThatThrownBy(() -> EmbeddedPostgresPlatform.require("Linux", "aarch64", linuxAmd64Only))
                .isInstanceOf(EmbeddedPostgresUnavailableException.class)
                .hasMessage("This build of VirtDevice carries the embedded PostgreSQL for Linux x86-64, not for "
                        + "Linux arm64 (Linux aarch64). Download the release jar for your platform "
                        + "(virtdevice-<version>-linux-arm64.jar) or the universal one, or build from source on this "
                        + "machine.");
        assertThatThrownBy(() -> EmbeddedPostgresPlatform.require("Mac OS X", "aarch64", carrying(Set.of())))
                .hasMessageStartingWith("This build of VirtDevice carries the embedded PostgreSQL for no platform, "
                        + "not for macOS Apple silicon");
    }

    @Test
    void theFailureAnalyzerGivesTheExternalDatabaseAsTheAction() {
        var failure = new EmbeddedPostgresUnavailableException("no binaries");
        var analysis = new EmbeddedPostgresUnavailableFailureAnalyzer()
                .analyze(new IllegalStateException("wrapped", failure));
        assertThat(analysis.getDescription()).isEqualTo("no binaries");
        assertThat(analysis.getAction())
                .contains("DATABASE_URL=postgres://virtdevice_app:PASSWORD@HOST:5432/virtdevice")
                .contains("DATABASE_MIGRATION_URL=postgres://virtdevice_owner:PASSWORD@HOST:5432/virtdevice");
    }

    /** The real start of the application on an unsupported architecture (a JVM told os.arch=riscv64). */
    @Test
    void startingOnAnUnsupportedPlatformPrintsAdviceAndNoStackTrace(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("app.log");
        Process process = new ProcessBuilder(List.of(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Xmx256m", "-XX:TieredStopAtLevel=1", "-Dos.arch=riscv64",
                        "-cp", System.getProperty("java.class.path"),
                        "io.virtdevice.VirtDeviceApplication",
                        "--server.port=0", "--virtdevice.database.embedded.data-directory=" + dir.resolve("pg"),
                        "--LOG_FORMAT="))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as(output).isNotZero();
        assertThat(output)
                .contains("APPLICATION FAILED TO START")
                .contains("The embedded PostgreSQL has no binaries for Linux riscv64.")
                .contains("DATABASE_URL=postgres://")
                .doesNotContain("\tat ")
                .doesNotContain("Exception");
        assertThat(dir.resolve("pg")).doesNotExist();
    }

    private static String osName(EmbeddedPostgresPlatform platform) {
        return switch (platform) {
            case LINUX_AMD64, LINUX_ARM64 -> "Linux";
            case MACOS_AMD64, MACOS_ARM64 -> "Mac OS X";
            case WINDOWS_AMD64 -> "Windows 11";
        };
    }

    /** A class loader that has only the given zonky resources (as a slim per-platform jar would). */
    private ClassLoader carrying(Set<String> resources) {
        ClassLoader real = getClass().getClassLoader();
        return new ClassLoader(null) {
            @Override
            public URL getResource(String name) {
                return resources.contains(name) ? real.getResource(name) : null;
            }
        };
    }

}
