package io.virtdevice.container;

import static org.assertj.core.api.Assertions.assertThat;

import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.virtdevice.platform.database.EmbeddedDatabaseEnvironment;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * {@code compose.yaml} and {@code deploy/}, checked by reading them, since no container engine runs on the
 * build machines (docs/operations.md, "Containers"):
 *
 * <ul>
 *   <li>valid against the Compose Specification's JSON schema: {@code src/test/resources/compose/compose-spec.json},
 *       a byte-for-byte copy of {@code package/schemas/compose.schema.json} of the npm package {@code dclint}
 *       3.1.0 (a Compose linter that ships the specification's {@code schema/compose-spec.json}; sha256
 *       46b7d35f…e639d496), read as YAML with merge keys as Compose reads it;
 *   <li>every environment variable that compose.yaml and the systemd unit's environment file give VirtDevice is
 *       one it reads: a {@code ${NAME}} of application.yaml, a name the code reads itself, or one that Spring
 *       Boot's relaxed binding turns into a property that exists (the configuration metadata of Spring Boot,
 *       the starters and the application's own {@code @ConfigurationProperties}, or a property name the code
 *       reads); the database and Redis settings are followed into the connection the application would make;
 *   <li>the nginx configuration forwards to exactly the VirtDevice services, the instances trust exactly the
 *       proxy's address, and the files the services mount exist;
 *   <li>what docs/operations.md says of the file is what the file does.
 * </ul>
 */
class ComposeFileTests {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Schema COMPOSE_SPEC = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_7)
            .getSchema(SchemaLocation.of("classpath:compose/compose-spec.json"));
    private static final Pattern INTERPOLATION = Pattern.compile("\\$\\{([A-Z_][A-Z0-9_]*)(?:(:?[?-])([^}]*))?}");
    /** Read by the JVM or the service manager, not by the application. */
    private static final Map<String, String> READ_BEFORE_THE_APPLICATION = Map.of(
            "JAVA_TOOL_OPTIONS", "the JVM reads it at start-up",
            "JAVA_OPTS", "packaging/systemd/virtdevice.service passes it to java");

    private static Map<String, Object> compose() {
        return yaml(Path.of("compose.yaml"));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> yaml(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return (Map<String, Object>) new Yaml().load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value) {
        return value == null ? Map.of() : (Map<String, Object>) value;
    }

    private static Map<String, Object> services() {
        return map(compose().get("services"));
    }

    /** The services that run VirtDevice's image, by name. */
    private static Map<String, Map<String, Object>> instances() {
        Map<String, Map<String, Object>> instances = new LinkedHashMap<>();
        services().forEach((name, service) -> {
            if (String.valueOf(map(service).get("image")).startsWith("virtdevice:")) {
                instances.put(name, map(service));
            }
        });
        return instances;
    }

    private static String read(String file) {
        try {
            return Files.readString(Path.of(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void composeYamlIsValidAgainstTheComposeSpecification() {
        JsonNode compose = JSON.valueToTree(compose());
        List<Error> errors = COMPOSE_SPEC.validate(compose);
        assertThat(errors).as("%s", errors).isEmpty();
        assertThat(compose.path("services").size()).isEqualTo(5);

        // the schema does reject what Compose rejects
        Map<String, Object> broken = compose();
        map(map(map(broken.get("services")).get("virtdevice-2")).get("depends_on")).put("virtdevice-1",
                Map.of("condition", "healthy"));
        map(map(broken.get("services")).get("redis")).put("restart_policy", "always");
        List<Error> brokenErrors = COMPOSE_SPEC.validate(JSON.valueToTree(broken));
        assertThat(brokenErrors).extracting(Error::toString)
                .anyMatch(e -> e.contains("condition"))
                .anyMatch(e -> e.contains("restart_policy"));
    }

    @Test
    void everyEnvironmentVariableGivenToVirtDeviceIsOneItReads() throws IOException {
        Map<String, String> given = new LinkedHashMap<>();
        instances().forEach((name, service) ->
                map(service.get("environment")).keySet().forEach(variable -> given.put(variable, "compose.yaml " + name)));
        // the environment file of the systemd unit: every setting is there, commented out
        Pattern setting = Pattern.compile("^#?([A-Z][A-Z0-9_]*)=", Pattern.MULTILINE);
        Matcher m = setting.matcher(read("packaging/systemd/virtdevice.env"));
        while (m.find()) {
            given.put(m.group(1), "packaging/systemd/virtdevice.env");
        }
        assertThat(given).containsKeys("DATABASE_URL", "SPRING_DATA_REDIS_HOST", "VIRTDEVICE_CRYPTO_SECRET_KEY",
                "DBSCHEDULER_THREADS", "VIRTDEVICE_DATABASE_EMBEDDED_SHAREDBUFFERS");

        KnownSettings known = KnownSettings.load();
        List<String> unread = new ArrayList<>();
        given.forEach((variable, where) -> {
            if (known.explain(variable) == null) {
                unread.add(variable + " (" + where + ")");
            }
        });
        assertThat(unread).as("environment variables VirtDevice does not read").isEmpty();
        assertThat(read("packaging/systemd/virtdevice.service")).contains("$JAVA_OPTS");

        // and the check tells a typing error from a setting
        assertThat(known.explain("SPRING_DATA_REDDIS_HOST")).isNull();
        assertThat(known.explain("VIRTDEVICE_CRYPTO_SECRET")).isNull();
        assertThat(known.explain("DATABASE_POOLSIZE")).isNull();
        assertThat(known.explain("VIRTDEVICE_WEB_TRUSTEDPROXIES")).contains("virtdevice.web.trusted-proxies");
    }

    @Test
    void theDatabaseAndRedisSettingsBecomeTheConnectionsTheApplicationMakes() {
        Map<String, Object> environment = new LinkedHashMap<>();
        map(map(compose().get("x-virtdevice")).get("environment")).forEach((name, value) ->
                environment.put(name, interpolate(String.valueOf(value), Map.of(
                        "VIRTDEVICE_APP_PASSWORD", "app-secret", "VIRTDEVICE_OWNER_PASSWORD", "owner-secret",
                        "VIRTDEVICE_CRYPTO_SECRET_KEY", "c2VjcmV0", "METRICS_TOKEN", "metrics-token-of-compose"))));
        StandardEnvironment app = new StandardEnvironment();
        app.getPropertySources().addFirst(new SystemEnvironmentPropertySource(
                StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, environment));
        ConfigurationPropertySources.attach(app);
        new EmbeddedDatabaseEnvironment(destination -> destination.get()).postProcessEnvironment(app, null);

        assertThat(app.getProperty("spring.datasource.url")).isEqualTo("jdbc:postgresql://postgres:5432/virtdevice");
        assertThat(app.getProperty("spring.datasource.username")).isEqualTo("virtdevice_app");
        assertThat(app.getProperty("spring.datasource.password")).isEqualTo("app-secret");
        assertThat(app.getProperty("spring.flyway.url")).isEqualTo("jdbc:postgresql://postgres:5432/virtdevice");
        assertThat(app.getProperty("spring.flyway.user")).isEqualTo("virtdevice_owner");
        assertThat(app.getProperty("spring.flyway.password")).isEqualTo("owner-secret");
        assertThat(app.getProperty("virtdevice.database.embedded.actual-port")).as("no embedded server").isNull();
        assertThat(app.getProperty("spring.data.redis.host")).isEqualTo("redis");
        assertThat(app.getProperty("server.forward-headers-strategy")).isEqualTo("native");
        assertThat(app.getProperty("virtdevice.web.trusted-proxies")).isEqualTo("172\\.28\\.0\\.10");
        assertThat(app.getProperty("virtdevice.crypto.secret-key")).isEqualTo("c2VjcmV0");

        // the service names are the host names in those URLs
        assertThat(services()).containsKeys("postgres", "redis");
        assertThat(map(services().get("postgres")).get("image")).isEqualTo("postgres:16");
    }

    @Test
    void theProxyForwardsToBothInstancesAndOnlyItIsTrusted() {
        String nginx = read("deploy/nginx.conf");
        Matcher upstream = Pattern.compile("upstream\\s+(\\w+)\\s*\\{([^}]*)}").matcher(nginx);
        assertThat(upstream.find()).isTrue();
        List<String> servers = Pattern.compile("server\\s+([^\\s;]+)").matcher(upstream.group(2)).results()
                .map(r -> r.group(1)).toList();
        Map<String, Map<String, Object>> instances = instances();
        assertThat(instances).hasSize(2);
        // the image's PORT (ContainerImageCheck), not overridden here
        assertThat(instances.values()).allSatisfy(s -> assertThat(map(s.get("environment"))).doesNotContainKey("PORT"));
        assertThat(servers).containsExactlyInAnyOrderElementsOf(
                instances.keySet().stream().map(name -> name + ":8080").toList());
        assertThat(nginx).contains("proxy_pass http://" + upstream.group(1) + ";");
        // distinct host names: db-scheduler names its instances by them
        assertThat(instances.values().stream().map(s -> s.get("hostname")).distinct()).hasSize(2);

        Map<String, Object> proxy = map(services().get("proxy"));
        assertThat(proxy.get("volumes")).asInstanceOf(InstanceOfAssertFactories.LIST)
                .contains("./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro");
        String proxyAddress = String.valueOf(map(map(proxy.get("networks")).get("backend")).get("ipv4_address"));
        instances.values().forEach(instance -> {
            Pattern trusted = Pattern.compile(String.valueOf(map(instance.get("environment"))
                    .get("VIRTDEVICE_WEB_TRUSTEDPROXIES")));
            assertThat(trusted.matcher(proxyAddress).matches()).as(proxyAddress).isTrue();
            assertThat(trusted.matcher("172.28.0.11").matches()).isFalse();
            assertThat(trusted.matcher("172.28.0.100").matches()).isFalse();
        });
        assertThat(String.valueOf(map(map(compose().get("networks")).get("backend"))))
                .contains("172.28.0.0/24");

        // whatever a service mounts from the repository exists
        services().values().forEach(service -> {
            Object volumes = map(service).get("volumes");
            if (volumes instanceof List<?> list) {
                list.stream().map(String::valueOf).filter(v -> v.startsWith("./"))
                        .forEach(v -> assertThat(Path.of(v.substring(2, v.indexOf(':')))).as(v).isRegularFile());
            }
        });
        // the database's first-start script sets the passwords compose.yaml gives the postgres service
        String init = read("deploy/postgres-init.sh");
        Set<String> postgresVariables = map(map(services().get("postgres")).get("environment")).keySet();
        assertThat(postgresVariables.stream().filter(v -> v.startsWith("VIRTDEVICE_")))
                .hasSize(2).allSatisfy(v -> assertThat(init).contains("$" + v));
        assertThat(init).contains("CREATE DATABASE virtdevice OWNER virtdevice_owner");
    }

    @Test
    void composeYamlIsWhatOperationsMdSays() {
        String docs = read("docs/operations.md");
        String section = docs.substring(docs.indexOf("### compose.yaml"), docs.indexOf("\n## ", docs.indexOf("### compose.yaml")));
        Matcher envList = Pattern.compile("Put in `\\.env`:\\s*(.*?)\\.\\n", Pattern.DOTALL).matcher(section);
        assertThat(envList.find()).as("the .env list").isTrue();
        Set<String> documented = new TreeSet<>();
        Pattern.compile("`([A-Z][A-Z0-9_]*)`").matcher(envList.group(1)).results().forEach(r -> documented.add(r.group(1)));
        Set<String> interpolated = new TreeSet<>();
        INTERPOLATION.matcher(read("compose.yaml")).results().forEach(r -> interpolated.add(r.group(1)));
        assertThat(documented).isEqualTo(interpolated);

        Map<String, Object> environment = map(map(compose().get("x-virtdevice")).get("environment"));
        Matcher assignment = Pattern.compile("`((?:SERVER|SPRING|VIRTDEVICE)_[A-Z0-9_]*)=([^`]+)`").matcher(section);
        int assignments = 0;
        while (assignment.find()) {
            assertThat(environment.get(assignment.group(1))).as(assignment.group()).isEqualTo(assignment.group(2));
            assignments++;
        }
        assertThat(assignments).isEqualTo(2);
        String proxyAddress = String.valueOf(map(map(map(services().get("proxy")).get("networks")).get("backend"))
                .get("ipv4_address"));
        assertThat(section).contains("(" + proxyAddress + ")").contains("PostgreSQL 16").contains("two VirtDevice instances");
        assertThat(map(map(services().get("virtdevice-2")).get("depends_on")).get("virtdevice-1"))
                .as("the second instance starts when the first is healthy")
                .isEqualTo(Map.of("condition", "service_healthy"));

        // "buffering off for live streams, read timeout above the 20 s heartbeat"
        String nginx = read("deploy/nginx.conf");
        assertThat(nginx).contains("proxy_buffering off;");
        Matcher timeout = Pattern.compile("proxy_read_timeout (\\d+)s;").matcher(nginx);
        assertThat(timeout.find()).isTrue();
        Duration heartbeat = Duration.ofSeconds(20);
        assertThat(section).contains(heartbeat.toSeconds() + " s heartbeat");
        assertThat(read("src/main/java/io/virtdevice/events/EventsSettings.java"))
                .contains("@DefaultValue(\"" + heartbeat.toSeconds() + "s\") Duration heartbeat");
        assertThat(Duration.ofSeconds(Long.parseLong(timeout.group(1)))).isGreaterThan(heartbeat);
    }

    /** Compose's interpolation of {@code ${NAME}}, {@code ${NAME:?message}} and {@code ${NAME:-default}}. */
    private static String interpolate(String value, Map<String, String> variables) {
        return INTERPOLATION.matcher(value).replaceAll(r -> {
            String set = variables.get(r.group(1));
            if (set != null && !set.isEmpty()) {
                return Matcher.quoteReplacement(set);
            }
            assertThat(r.group(2)).as("%s is not set", r.group(1)).isIn(":-", "-");
            return Matcher.quoteReplacement(r.group(3));
        });
    }

    /**
     * What the application reads: the {@code ${NAME}} placeholders of application.yaml, the names the code asks
     * the environment for ({@code getProperty("…")}, {@code @Value("${…}")}), the keys of application.yaml, and
     * every property in the configuration metadata on the class path (Spring Boot's, the starters', the
     * application's own, generated from its {@code @ConfigurationProperties}).
     */
    private record KnownSettings(Set<String> variables, Set<ConfigurationPropertyName> properties) {

        private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Za-z0-9_.\\[\\]-]+)");
        private static final Pattern GET_PROPERTY = Pattern.compile("getProperty\\(\\s*\"([^\"]+)\"");

        static KnownSettings load() throws IOException {
            Set<String> names = new TreeSet<>();
            String applicationYaml = read("src/main/resources/application.yaml");
            PLACEHOLDER.matcher(applicationYaml).results().forEach(r -> names.add(r.group(1)));
            flatten("", yaml(Path.of("src/main/resources/application.yaml")), names);
            try (Stream<Path> sources = Files.walk(Path.of("src/main/java"))) {
                for (Path source : sources.filter(p -> p.toString().endsWith(".java")).toList()) {
                    String java = Files.readString(source);
                    GET_PROPERTY.matcher(java).results().forEach(r -> names.add(r.group(1)));
                    PLACEHOLDER.matcher(java).results().forEach(r -> names.add(r.group(1)));
                }
            }
            for (String resource : List.of("META-INF/spring-configuration-metadata.json",
                    "META-INF/additional-spring-configuration-metadata.json")) {
                Enumeration<URL> urls = ComposeFileTests.class.getClassLoader().getResources(resource);
                for (URL url : Collections.list(urls)) {
                    try (InputStream in = url.openStream()) {
                        JSON.readTree(in).path("properties").forEach(p -> names.add(p.path("name").asString()));
                    }
                }
            }
            Set<String> variables = new TreeSet<>();
            Set<ConfigurationPropertyName> properties = new HashSet<>();
            for (String name : names) {
                if (name.matches("[A-Z][A-Z0-9_]*")) {
                    variables.add(name);
                } else if (ConfigurationPropertyName.isValid(name)) {
                    properties.add(ConfigurationPropertyName.of(name));
                }
            }
            assertThat(properties).as("Spring Boot's metadata was found")
                    .contains(ConfigurationPropertyName.of("spring.data.redis.host"));
            return new KnownSettings(variables, properties);
        }

        private static void flatten(String prefix, Map<?, ?> yaml, Set<String> names) {
            yaml.forEach((key, value) -> {
                String name = prefix.isEmpty() ? String.valueOf(key) : prefix + "." + key;
                if (value instanceof Map<?, ?> nested) {
                    flatten(name, nested, names);
                } else {
                    names.add(name);
                }
            });
        }

        /** How the application reads an environment variable, or null if it does not. */
        String explain(String variable) {
            if (variables.contains(variable)) {
                return "read as " + variable;
            }
            if (READ_BEFORE_THE_APPLICATION.containsKey(variable)) {
                return READ_BEFORE_THE_APPLICATION.get(variable);
            }
            // named as the process environment: only then does Spring Boot map names as it maps real variables
            ConfigurationPropertySource environment = ConfigurationPropertySource.from(new SystemEnvironmentPropertySource(
                    StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, Map.of(variable, "x")));
            return properties.stream()
                    .filter(property -> environment.getConfigurationProperty(property) != null)
                    .findFirst()
                    .map(property -> "binds to " + property)
                    .orElse(null);
        }
    }
}
