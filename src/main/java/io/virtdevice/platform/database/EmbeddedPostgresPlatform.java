package io.virtdevice.platform.database;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The platforms the embedded PostgreSQL 16 has binaries for, and which one this JVM runs on.
 *
 * <p>zonky looks for the classpath resource {@code postgres-<system>-<arch>.txz}, its system taken from
 * {@code os.name} (Windows, Darwin, Linux) and its architecture from {@code os.arch}; a missing resource ends in
 * an {@code IllegalStateException("Missing embedded postgres binaries")} deep in a stack trace, an unknown
 * system or architecture in an {@code UnsupportedOperationException}. {@link #require} answers the same
 * question first and, when there is no binary, throws {@link EmbeddedPostgresUnavailableException} whose
 * message tells the user what to do (the failure analyzer prints it without a stack trace).
 */
public enum EmbeddedPostgresPlatform {
    LINUX_AMD64("Linux x86-64", "linux", "x86_64", "linux-amd64"),
    LINUX_ARM64("Linux arm64", "linux", "arm_64", "linux-arm64"),
    MACOS_AMD64("macOS Intel", "darwin", "x86_64", "macos-amd64"),
    MACOS_ARM64("macOS Apple silicon", "darwin", "arm_64", "macos-arm64"),
    WINDOWS_AMD64("Windows x86-64", "windows", "x86_64", "windows-amd64");

    private final String label;
    private final String system;
    private final String architecture;
    private final String classifier;

    EmbeddedPostgresPlatform(String label, String system, String architecture, String classifier) {
        this.label = label;
        this.system = system;
        this.architecture = architecture;
        this.classifier = classifier;
    }

    /** How people call it: "Linux arm64". */
    public String label() {
        return label;
    }

    /** The classifier of the release jar that carries this platform's binaries only (virtdevice-1.0.0-linux-arm64.jar). */
    public String classifier() {
        return classifier;
    }

    /** The zonky resource holding this platform's PostgreSQL, as its resolver looks it up. */
    public String resource() {
        return "postgres-" + system + "-" + architecture + ".txz";
    }

    /** The platform of these {@code os.name} / {@code os.arch} values, if the embedded database supports it. */
    public static Optional<EmbeddedPostgresPlatform> of(String osName, String osArch) {
        String os = osName == null ? "" : osName.toLowerCase(Locale.ROOT);
        String arch = osArch == null ? "" : osArch.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
        boolean amd64 = arch.equals("amd64") || arch.equals("x8664") || arch.equals("x64");
        boolean arm64 = arch.equals("aarch64") || arch.equals("arm64");
        if (os.startsWith("linux")) {
            return amd64 ? Optional.of(LINUX_AMD64) : arm64 ? Optional.of(LINUX_ARM64) : Optional.empty();
        }
        if (os.startsWith("mac") || os.startsWith("darwin")) {
            return amd64 ? Optional.of(MACOS_AMD64) : arm64 ? Optional.of(MACOS_ARM64) : Optional.empty();
        }
        if (os.startsWith("windows")) {
            return amd64 ? Optional.of(WINDOWS_AMD64) : Optional.empty();
        }
        return Optional.empty();
    }

    /** The platform this JVM runs on, if supported. */
    public static Optional<EmbeddedPostgresPlatform> current() {
        return of(System.getProperty("os.name"), System.getProperty("os.arch"));
    }

    /**
     * The platform of {@code osName}/{@code osArch}, after checking that {@code classLoader} carries its binaries.
     *
     * @throws EmbeddedPostgresUnavailableException if the platform is not supported or this build lacks its
     *     binaries; its message says to configure an external PostgreSQL
     */
    public static EmbeddedPostgresPlatform require(String osName, String osArch, ClassLoader classLoader) {
        String running = osName + " " + osArch;
        EmbeddedPostgresPlatform platform = of(osName, osArch)
                .orElseThrow(() -> new EmbeddedPostgresUnavailableException(
                        "The embedded PostgreSQL has no binaries for " + running + ". It runs on " + supported()
                                + " (64-bit operating systems only)."));
        if (classLoader.getResource(platform.resource()) == null) {
            String carried = Arrays.stream(values())
                    .filter(p -> classLoader.getResource(p.resource()) != null)
                    .map(EmbeddedPostgresPlatform::label)
                    .collect(Collectors.joining(", "));
            throw new EmbeddedPostgresUnavailableException("This build of VirtDevice carries the embedded PostgreSQL for "
                    + (carried.isEmpty() ? "no platform" : carried) + ", not for " + platform.label() + " (" + running
                    + "). Download the release jar for your platform (virtdevice-<version>-" + platform.classifier()
                    + ".jar) or the universal one, or build from source on this machine.");
        }
        return platform;
    }

    static String supported() {
        return Arrays.stream(values()).map(EmbeddedPostgresPlatform::label).collect(Collectors.joining(", "));
    }
}
