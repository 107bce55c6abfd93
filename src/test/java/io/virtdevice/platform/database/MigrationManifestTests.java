package io.virtdevice.platform.database;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.springframework.core.io.ClassPathResource;
import org.springframework.core.io.Resource;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;

/**
 * Released migrations stay exactly as released, forever: a database migrated by a released build must
 * upgrade with every later one (docs/development.md). The committed manifest
 * {@code db/released-migrations.txt} holds every released version with the SHA-256 of its file;
 * {@code scripts/release-migrations.sh} appends to it when migrations land on main.
 */
class MigrationManifestTests {

    static final String MANIFEST = "db/released-migrations.txt";
    /** A migration, or its Flyway script configuration file. */
    private static final Pattern FILE_NAME = Pattern.compile("V(\\d+)__[a-z0-9_]+\\.sql(\\.conf)?");
    private static final Pattern LINE = Pattern.compile("(\\d+) ([0-9a-f]{64}) ([A-Za-z0-9._-]+)");

    /** A released version, the checksum of its file when released, and the release it went out with. */
    record Released(int version, String sha256, String release) {}

    /** A migration on the classpath. */
    record Migration(int version, String fileName, String sha256) {}

    @Test
    void keepsEveryReleasedMigrationAsReleased() {
        Map<Integer, Migration> migrations = migrations();
        List<Released> released = released();

        assertThat(released).as("the manifest lists at least the baseline").isNotEmpty();
        for (Released r : released) {
            Migration m = migrations.get(r.version());
            assertThat(m).as("released migration V%03d (release %s) is missing; a released migration is never "
                    + "removed or renumbered", r.version(), r.release()).isNotNull();
            assertThat(m.sha256()).as("%s was released (%s) and must never change: write a new migration instead",
                    m.fileName(), r.release()).isEqualTo(r.sha256());
        }
    }

    @Test
    void sortsEveryUnreleasedMigrationAfterTheReleasedOnes() {
        int highestReleased = highestReleased();
        List<Integer> releasedVersions = released().stream().map(Released::version).toList();

        List<String> misplaced = migrations().values().stream()
                .filter(m -> !releasedVersions.contains(m.version()) && m.version() <= highestReleased)
                .map(Migration::fileName)
                .toList();

        assertThat(misplaced).as("unreleased migrations numbered at or below the last released version V%03d: a "
                + "database at that version would never run them; number them above it", highestReleased).isEmpty();
    }

    @Test
    void releasesContiguousVersionsFromOne() {
        List<Integer> versions = released().stream().map(Released::version).toList();

        assertThat(versions).as("released versions, in manifest order").isSorted().doesNotHaveDuplicates();
        for (int i = 0; i < versions.size(); i++) {
            assertThat(versions.get(i)).as("released versions have no gap").isEqualTo(i + 1);
        }
    }

    @Test
    void namesEveryMigrationByTheConvention() throws IOException {
        List<String> names = new ArrayList<>();
        for (Resource r : new PathMatchingResourcePatternResolver().getResources("classpath*:db/migration/*")) {
            names.add(r.getFilename());
        }

        assertThat(names).isNotEmpty()
                .allSatisfy(name -> assertThat(name).as("V<number>__<lower_case_words>.sql").matches(FILE_NAME));
        assertThat(names.stream().filter(n -> n.endsWith(".sql")).map(n -> version(n)).toList())
                .as("one migration per version").doesNotHaveDuplicates();
    }

    static int highestReleased() {
        return released().stream().mapToInt(Released::version).max().orElse(0);
    }

    static List<Released> released() {
        List<Released> lines = new ArrayList<>();
        for (String line : read(new ClassPathResource(MANIFEST)).split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher m = LINE.matcher(line.strip());
            assertThat(m.matches()).as("manifest line '%s' is '<version> <sha256> <release>'", line).isTrue();
            lines.add(new Released(Integer.parseInt(m.group(1)), m.group(2), m.group(3)));
        }
        return lines;
    }

    /** Every versioned migration on the classpath, by version. */
    static Map<Integer, Migration> migrations() {
        Map<Integer, Migration> byVersion = new TreeMap<>();
        try {
            for (Resource r : new PathMatchingResourcePatternResolver().getResources("classpath*:db/migration/V*.sql")) {
                byte[] bytes;
                try (InputStream in = r.getInputStream()) {
                    bytes = in.readAllBytes();
                }
                int version = version(r.getFilename());
                byVersion.put(version, new Migration(version, r.getFilename(), sha256(bytes)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return byVersion;
    }

    private static int version(String fileName) {
        Matcher m = Pattern.compile("V(\\d+)__.*").matcher(fileName);
        assertThat(m.matches()).as(fileName).isTrue();
        return Integer.parseInt(m.group(1));
    }

    private static String read(Resource resource) {
        try (InputStream in = resource.getInputStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
