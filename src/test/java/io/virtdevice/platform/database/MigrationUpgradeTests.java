package io.virtdevice.platform.database;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.virtdevice.testing.Api;
import io.virtdevice.testing.AppInstance;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.core.io.ClassPathResource;
import org.springframework.core.io.Resource;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;

/**
 * A database of a released version, full of data, upgrades to HEAD with every row intact and the app
 * working on it. For every {@code db/upgrade/v<N>-fill.sql} (SQL written against released version N and
 * never edited afterwards): a fresh PostgreSQL is migrated by Flyway to exactly version N, filled, then the
 * application is started on it, which migrates it to HEAD; every row of version N's columns must still be
 * there unchanged, and the filled user's API key and password work. While HEAD is the release this only
 * proves the fill is sound; it bites as soon as a new migration lands (docs/development.md).
 *
 * <p>Also: a development database made by the pre-baseline migrations V001-V020 (kept frozen under
 * {@code db/pre-baseline}) is adopted ({@link PreBaselineHistory}) and upgrades the same way.
 */
class MigrationUpgradeTests {

    static final String API_KEY = "vdk_upgrade_v1_0000000000000000000000000000000000000";
    static final String EMAIL = "ada@upgrade.example.test";
    static final String PASSWORD = "upgrade test password 2026";
    static final String HALL_LAMP = "40000000-0000-4000-8000-000000000001";

    /**
     * Tables the application itself writes on start-up; their filled rows must survive, others may join (a
     * consumer seen for the first time registers its position, the events.partitions job creates ranges).
     */
    static final Set<String> WRITTEN_AT_START = Set.of("oauth_clients", "scheduled_tasks", "event_dispatch_cursor",
            "event_consumer_positions", "device_event_partitions");

    /**
     * Released data a later migration changes on purpose, each with its reason and the migration that does it:
     * it applies only to fills of releases before that migration (a fill of a later release must come through
     * unchanged there too); everything else must come through an upgrade unchanged. A table listed with no
     * columns is replaced as a whole.
     */
    static final Map<String, ChangedOnPurpose> CHANGED_ON_PURPOSE = Map.of(
            // V003 partitions device_events by writing transaction: events from before the relay had a
            // transaction id (null) get the lowest one, '2', so that every event lies in a range
            "device_events", new ChangedOnPurpose(3, Set.of("tx_id")),
            // V007 replaces the single relay cursor by one position per consumer (checked below)
            "event_dispatch_cursor", new ChangedOnPurpose(7, Set.of()));

    /** Columns of a table that migration {@code by} changes on purpose (none listed: the whole table). */
    record ChangedOnPurpose(int by, Set<String> columns) {
    }

    /** The tables every fill must fill, as far as they exist in its release: what the issue names, and more. */
    static final List<String> FILLED = List.of("tenants", "users", "user_credentials", "subscriptions", "devices",
            "device_properties", "device_events", "activity_logs", "api_keys", "url_triggers", "webhooks",
            "webhook_deliveries", "oauth_clients", "oauth_authorizations", "oauth_tokens", "oauth_consents",
            "alexa_lwa_tokens", "ifttt_trigger_subscriptions", "auth_tokens", "invitations", "security_events",
            "device_event_partitions", "event_consumer_positions", "event_failures");

    private static final Pattern FILL = Pattern.compile("v(\\d+)-fill\\.sql");

    @TempDir
    Path temp;

    static Stream<Integer> fills() throws IOException {
        List<Integer> versions = new ArrayList<>();
        for (Resource r : new PathMatchingResourcePatternResolver().getResources("classpath*:db/upgrade/v*-fill.sql")) {
            Matcher m = FILL.matcher(r.getFilename());
            assertThat(m.matches()).as(r.getFilename()).isTrue();
            versions.add(Integer.parseInt(m.group(1)));
        }
        assertThat(versions).as("a fill for at least the baseline").isNotEmpty();
        return versions.stream().sorted();
    }

    @ParameterizedTest(name = "from released version {0}")
    @MethodSource("fills")
    void upgradesAReleasedDatabaseWithEveryRowIntact(int version) throws Exception {
        assertThat(MigrationManifestTests.released()).as("V%03d is released", version)
                .anyMatch(r -> r.version() == version);
        try (EmbeddedPostgres postgres = server(temp)) {
            String url = url(postgres);
            flyway(url, "classpath:db/migration")
                    .target(Integer.toString(version))
                    .load()
                    .migrate();
            assertThat(appliedVersions(url)).last().isEqualTo(version);

            upgradeAndCheck(url, version);
        }
    }

    @Test
    void adoptsAndUpgradesADatabaseOfThePreBaselineDevelopmentMigrations() throws Exception {
        try (EmbeddedPostgres postgres = server(temp)) {
            String url = url(postgres);
            flyway(url, "classpath:db/pre-baseline")
                    .load()
                    .migrate();
            assertThat(appliedVersions(url)).containsExactlyElementsOf(
                    PreBaselineHistory.CHAIN.stream().map(Map.Entry::getKey).toList());

            upgradeAndCheck(url, 1);

            List<Integer> after = appliedVersions(url);
            assertThat(after).as("the history is the baseline's, then whatever came after it")
                    .startsWith(1).doesNotHaveDuplicates().isSorted();
            assertThat(after).hasSize(MigrationManifestTests.migrations().size());
        }
    }

    private void upgradeAndCheck(String url, int version) throws Exception {
        try (Connection con = superuser(url)) {
            con.setAutoCommit(false);
            try (Statement st = con.createStatement()) {
                st.execute(read("db/upgrade/v" + version + "-fill.sql"));
            }
            con.commit();
        }
        Map<String, List<String>> columns = columns(url);
        CHANGED_ON_PURPOSE.forEach((table, changed) -> {
            if (version >= changed.by()) {
                return;
            }
            if (changed.columns().isEmpty()) {
                columns.remove(table);
            } else if (columns.containsKey(table)) {
                columns.get(table).removeAll(changed.columns());
            }
        });
        Map<String, List<String>> before = rows(url, columns);
        for (String table : FILLED) {
            if (before.containsKey(table)) { // a table of a later release is filled by that release's fill
                assertThat(before.get(table)).as("filled " + table).isNotEmpty();
            }
        }

        try (AppInstance app = AppInstance.start(
                "spring.datasource.url=" + url,
                "spring.datasource.username=virtdevice_app",
                "spring.datasource.password=",
                "spring.flyway.user=virtdevice_owner",
                "spring.flyway.password=",
                "virtdevice.web.secure-cookies=false")) {
            Map<String, List<String>> columnsAfter = columns(url);
            for (Map.Entry<String, List<String>> table : columns.entrySet()) {
                assertThat(columnsAfter.get(table.getKey())).as("the columns of %s after the upgrade (a migration that "
                        + "drops or renames one loses released data)", table.getKey()).containsAll(table.getValue());
            }
            Map<String, List<String>> after = rows(url, columns);
            for (Map.Entry<String, List<String>> table : before.entrySet()) {
                if (WRITTEN_AT_START.contains(table.getKey())) {
                    assertThat(after.get(table.getKey())).as(table.getKey()).containsAll(table.getValue());
                } else {
                    assertThat(after.get(table.getKey())).as(table.getKey()).isEqualTo(table.getValue());
                }
            }
            try (Connection con = superuser(url); Statement st = con.createStatement();
                    ResultSet rs = st.executeQuery("select seq from event_consumer_positions where consumer = 'webhooks'")) {
                assertThat(rs.next()).as("the webhooks consumer took over the relay cursor's position").isTrue();
                assertThat(rs.getLong(1)).as("the filled events were all dispatched before the upgrade")
                        .isGreaterThanOrEqualTo(maxSeq(url));
            }
            assertThat(appliedVersions(url)).last().isEqualTo(MigrationManifestTests.migrations().keySet().stream()
                    .mapToInt(Integer::intValue).max().orElseThrow());

            worksOnTheUpgradedData(app);
        }
    }

    private static void worksOnTheUpgradedData(AppInstance app) {
        Api api = app.api().bearer(API_KEY);
        Api.Response list = api.get("/api/v1/devices");
        assertThat(list.status()).as(list.toString()).isEqualTo(200);
        List<String> names = new ArrayList<>();
        list.json().path("items").forEach(d -> names.add(d.path("name").asString()));
        assertThat(names).containsExactlyInAnyOrder("Hall lamp", "Desk light");

        Api.Response changed = api.put("/api/v1/devices/" + HALL_LAMP + "/properties", Map.of("power", false));
        assertThat(changed.status()).as(changed.toString()).isEqualTo(200);
        assertThat(changed.json().path("version").asLong()).isEqualTo(3);

        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            List<String> actions = new ArrayList<>();
            api.get("/api/v1/activity?deviceId=" + HALL_LAMP).json().path("items")
                    .forEach(e -> actions.add(e.path("action").asString()));
            assertThat(actions).as("the new change next to the filled one")
                    .containsExactly("property_changed", "property_changed");
        });

        Api browser = app.api().withCsrf();
        Api.Response login = browser.post("/api/v1/auth/login", Map.of("email", EMAIL, "password", PASSWORD));
        assertThat(login.status()).as(login.toString()).isEqualTo(200);
        Api.Response devices = browser.get("/api/v1/devices/" + HALL_LAMP);
        assertThat(devices.status()).as(devices.toString()).isEqualTo(200);
        assertThat(devices.json().path("name").asString()).isEqualTo("Hall lamp");
    }

    /** A fresh embedded server of its own in {@code temp}, with the roles and the empty database. */
    static EmbeddedPostgres server(Path temp) throws IOException {
        EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                .setDataDirectory(temp.resolve("postgres"))
                .setCleanDataDirectory(true)
                .setServerConfig("timezone", "UTC")
                .start();
        EmbeddedDatabaseEnvironment.bootstrap(postgres);
        return postgres;
    }

    static String url(EmbeddedPostgres postgres) {
        return "jdbc:postgresql://localhost:" + postgres.getPort() + "/" + EmbeddedDatabaseEnvironment.DATABASE;
    }

    /** Flyway as the owner role with the app's placeholders, on the migrations at {@code location}. */
    static FluentConfiguration flyway(String url, String location) {
        return Flyway.configure()
                .dataSource(url, EmbeddedDatabaseEnvironment.OWNER_ROLE, "")
                .locations(location)
                .placeholders(Map.of("app_role", "virtdevice_app", "definer_role", "virtdevice_definer"))
                // as the app runs it (spring.flyway.postgresql.transactional-lock: false): a session lock, so a
                // migration that builds an index CONCURRENTLY outside a transaction does not wait for Flyway's own
                .configuration(Map.of("flyway.postgresql.transactional.lock", "false"));
    }

    private static Connection superuser(String url) throws SQLException {
        return DriverManager.getConnection(url, "postgres", "");
    }

    private static List<Integer> appliedVersions(String url) throws SQLException {
        List<Integer> versions = new ArrayList<>();
        try (Connection con = superuser(url); Statement st = con.createStatement();
                ResultSet rs = st.executeQuery("""
                        select version from flyway_schema_history where version is not null and success
                         order by installed_rank""")) {
            while (rs.next()) {
                versions.add(Integer.parseInt(rs.getString(1)));
            }
        }
        return versions;
    }

    /** Every table (partitioned parents, not their partitions) and its columns, as of now. */
    private static long maxSeq(String url) throws SQLException {
        try (Connection con = superuser(url); Statement st = con.createStatement();
                ResultSet rs = st.executeQuery("select coalesce(max(seq), 0) from device_events")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static Map<String, List<String>> columns(String url) throws SQLException {
        Map<String, List<String>> columns = new LinkedHashMap<>();
        try (Connection con = superuser(url); Statement st = con.createStatement();
                ResultSet rs = st.executeQuery("""
                        select c.relname, a.attname
                          from pg_class c join pg_attribute a on a.attrelid = c.oid
                         where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
                           and not c.relispartition and c.relname <> 'flyway_schema_history'
                           and a.attnum > 0 and not a.attisdropped
                         order by c.relname, a.attnum""")) {
            while (rs.next()) {
                columns.computeIfAbsent(rs.getString(1), t -> new ArrayList<>()).add(rs.getString(2));
            }
        }
        return columns;
    }

    /** Each table's rows, over the given columns only, as sorted text (as the superuser: no RLS). */
    private static Map<String, List<String>> rows(String url, Map<String, List<String>> columns) throws SQLException {
        Map<String, List<String>> rows = new LinkedHashMap<>();
        try (Connection con = superuser(url); Statement st = con.createStatement()) {
            for (Map.Entry<String, List<String>> table : columns.entrySet()) {
                String cols = String.join(", ", table.getValue().stream().map(c -> "t.\"" + c + "\"").toList());
                List<String> list = new ArrayList<>();
                try (ResultSet rs = st.executeQuery("select row(" + cols + ")::text from public.\""
                        + table.getKey() + "\" t order by 1")) {
                    while (rs.next()) {
                        list.add(rs.getString(1));
                    }
                }
                rows.put(table.getKey(), list);
            }
        }
        return rows;
    }

    private static String read(String resource) throws IOException {
        try (InputStream in = new ClassPathResource(resource).getInputStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
