package io.virtdevice.lambda;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The deployment package {@code ./mvnw verify} builds (runs after {@code package}, by Failsafe): the handler's
 * classes and its three small libraries and nothing else — no Spring, no other module — and, unpacked alone
 * on a fresh JVM's class path, it loads by name and forwards a directive to a backend, as on AWS Lambda.
 */
class LambdaPackageIT {

    static final Path ZIP = Path.of("target", "virtdevice-alexa-lambda.zip");
    static final Pattern CLASS = Pattern.compile("io/virtdevice/lambda/[A-Za-z0-9$]+\\.class");
    static final Pattern LIB =
            Pattern.compile("lib/(aws-lambda-java-core|jackson-jr-objects|jackson-core)-[0-9][0-9.]*\\.jar");

    @Test
    void theZipHoldsOnlyTheHandlerAndItsSmallLibraries() throws IOException {
        assertThat(ZIP).exists();
        List<String> classes = new ArrayList<>();
        List<String> libs = new ArrayList<>();
        try (ZipFile zip = new ZipFile(ZIP.toFile())) {
            for (ZipEntry entry : zip.stream().toList()) {
                String name = entry.getName();
                if (entry.isDirectory()) {
                    assertThat(name).matches("(io/|io/virtdevice/|io/virtdevice/lambda/|lib/)");
                } else if (name.startsWith("lib/")) {
                    assertThat(name).matches(LIB);
                    libs.add(name);
                    try (InputStream jar = zip.getInputStream(entry)) {
                        assertOnlyLibraryClasses(name, jar);
                    }
                } else {
                    assertThat(name).matches(CLASS);
                    classes.add(name);
                }
            }
        }
        assertThat(classes).contains("io/virtdevice/lambda/AlexaLambda.class",
                "io/virtdevice/lambda/Forwarder.class", "io/virtdevice/lambda/Directive.class",
                "io/virtdevice/lambda/LambdaSettings.class");
        assertThat(classes).doesNotContain("io/virtdevice/lambda/package-info.class");
        assertThat(libs).hasSize(3);
        System.out.printf("virtdevice-alexa-lambda.zip: %d bytes, %d classes, %s%n", Files.size(ZIP), classes.size(),
                libs);
    }

    @Test
    void unpackedAloneOnAFreshJvmTheHandlerLoadsByNameAndForwardsADirective(@TempDir Path dir) throws Exception {
        unzip(ZIP, dir.resolve("function"));
        Path harness = dir.resolve("harness/io/virtdevice/lambda");
        Files.createDirectories(harness);
        try (DirectoryStream<Path> compiled =
                Files.newDirectoryStream(Path.of("target/test-classes/io/virtdevice/lambda"), "LambdaColdStart*.class")) {
            for (Path file : compiled) {
                Files.copy(file, harness.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        String classPath = String.join(File.pathSeparator, dir.resolve("function").toString(),
                dir.resolve("function/lib/*").toString(), dir.resolve("harness").toString());

        try (FakeBackend backend = FakeBackend.answering(200, "application/json", LambdaColdStart.ANSWER)) {
            ProcessBuilder java = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", classPath, "io.virtdevice.lambda.LambdaColdStart", "invoke", "20")
                    .redirectErrorStream(true);
            java.environment().put("VIRTDEVICE_URL", backend.baseUrl());
            java.environment().put("AWS_REGION", "us-west-2");
            java.environment().remove("VIRTDEVICE_ALEXA_REGION");
            Process process = java.start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();

            assertThat(process.exitValue()).as(output).isZero();
            assertThat(output).contains("ANSWER " + LambdaColdStart.ANSWER);
            assertThat(backend.received).hasSize(21);
            assertThat(backend.received.get(0).header("X-VirtDevice-Alexa-Region")).isEqualTo("FE");
            output.lines().filter(l -> l.startsWith("RESULT ")).forEach(l -> System.out.println("cold start: " + l));
        }
    }

    /** A library jar holds its own packages only: Amazon's Lambda interfaces or Jackson. */
    private static void assertOnlyLibraryClasses(String jarName, InputStream jar) throws IOException {
        try (ZipInputStream entries = new ZipInputStream(jar)) {
            ZipEntry entry;
            int classes = 0;
            while ((entry = entries.getNextEntry()) != null) {
                String name = entry.getName();
                assertThat(name).as(jarName).doesNotContain("springframework");
                if (name.endsWith(".class") && !name.startsWith("META-INF/")) {
                    assertThat(name).as(jarName).matches("(com/amazonaws/services/lambda/runtime/|tools/jackson/).*|module-info\\.class");
                    classes++;
                }
            }
            assertThat(classes).as(jarName).isPositive();
        }
    }

    private static void unzip(Path zip, Path target) throws IOException {
        try (ZipFile file = new ZipFile(zip.toFile())) {
            for (ZipEntry entry : file.stream().toList()) {
                Path out = target.resolve(entry.getName()).normalize();
                assertThat(out.startsWith(target)).as(entry.getName()).isTrue();
                if (entry.isDirectory()) {
                    Files.createDirectories(out);
                } else {
                    Files.createDirectories(out.getParent());
                    try (InputStream in = file.getInputStream(entry)) {
                        Files.copy(in, out);
                    }
                }
            }
        }
    }
}
