package io.virtdevice.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.SecondInstance;
import io.virtdevice.testing.SseClient;
import io.virtdevice.testing.TestDatabase;
import io.virtdevice.testing.TestPgBouncer;
import io.virtdevice.testing.TestRedis;
import io.virtdevice.testing.WebhookReceiver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.Environment;
import org.springframework.data.redis.listener.RedisMessageListenerContainer;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Several instances on one PostgreSQL behave as one service: a change made through one reaches live
 * streams on another, and every webhook message goes out once per attempt, not once per instance. The
 * test context is instance A; more instances start in this JVM against the same database, once with the
 * PostgreSQL bus (LISTEN/NOTIFY) and once with Redis pub/sub (an embedded Redis the test starts, {@link TestRedis}).
 */
@IntegrationTest
class MultiInstanceTests {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final List<ConfigurableApplicationContext> STARTED = new ArrayList<>();

    @LocalServerPort
    int port;

    @Autowired
    private ApplicationContext applicationContext;

    @Value("${virtdevice.database.embedded.actual-port}")
    int databasePort;

    @Value("${spring.datasource.password}")
    String appPassword;

    @Autowired
    Environment environment;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    @Autowired
    JdbcClient jdbc;

    @AfterAll
    static void stopInstances() {
        STARTED.forEach(ConfigurableApplicationContext::close);
        STARTED.clear();
    }

    @Test
    void instancesShareChangesThroughPostgres() {
        ConfigurableApplicationContext b = start("b");
        assertThat(b.getBeansOfType(PostgresEventListener.class)).hasSize(1);
        assertThat(b.getBeansOfType(RedisMessageListenerContainer.class)).isEmpty();
        awaitListening(b);
        behaveAsOne("http://127.0.0.1:" + port, url(b));

        // open streams must not hold up a shutdown (they are completed when the context closes)
        Fixtures.TestUser user = new Fixtures(dataSource, hasher).owner();
        // (a stream still open would hold the graceful shutdown for its whole 20 s grace period)
        try (SseClient open = SseClient.open(url(b), user.apiKey())) {
            CompletableFuture<Void> closing = CompletableFuture.runAsync(b::close);
            assertThat(open.awaitEnd(Duration.ofSeconds(5))).isTrue();
            await("instance b closed").atMost(WAIT).until(closing::isDone);
        }
    }

    @Test
    void instancesShareChangesThroughRedis() {
        ConfigurableApplicationContext c = start("c", TestRedis.settings());
        ConfigurableApplicationContext d = start("d", TestRedis.settings());
        assertThat(d.getBeansOfType(RedisMessageListenerContainer.class)).hasSize(1);
        assertThat(d.getBeansOfType(PostgresEventListener.class)).isEmpty();
        awaitSubscribed(d);
        behaveAsOne(url(c), url(d));
    }

    /**
     * Two instances whose pools go through PgBouncer in transaction mode (1.18, Debian 12's: no prepared
     * statements across transactions, so pgjdbc's {@code prepareThreshold=0}); their LISTEN connections, the
     * webhook lease-owner lock and Flyway connect to the server directly.
     */
    @Test
    void instancesShareChangesThroughPgBouncerInTransactionMode() {
        String direct = "jdbc:postgresql://localhost:" + databasePort + "/virtdevice";
        int bouncer = TestPgBouncer.port(databasePort, "virtdevice", Map.of("virtdevice_app", appPassword));
        String[] settings = {
            "spring.datasource.url=jdbc:postgresql://127.0.0.1:" + bouncer + "/virtdevice?prepareThreshold=0",
            "virtdevice.events.listen-url=" + direct,
            "spring.flyway.url=" + direct
        };
        long before = TestPgBouncer.transactions(bouncer);
        ConfigurableApplicationContext e = start("e", settings);
        ConfigurableApplicationContext f = start("f", settings);
        awaitListening(e);
        awaitListening(f);
        behaveAsOne(url(e), url(f));
        // the requests' transactions went through the pooler (dozens per change: context, lock, write, relay)
        // (PgBouncer adds up its statistics once a second)
        await("transactions counted by PgBouncer").atMost(WAIT).until(
                () -> TestPgBouncer.transactions(bouncer) - before,
                n -> n > 100);
    }

    /** Changes through {@code first} and {@code second}; streams and webhook deliveries observed on both. */
    private void behaveAsOne(String first, String second) {
        Fixtures.TestUser user = new Fixtures(dataSource, hasher).owner();
        Api a = new Api(first).bearer(user.apiKey());
        Api b = new Api(second).bearer(user.apiKey());
        try (WebhookReceiver receiver = new WebhookReceiver();
                SseClient onSecond = SseClient.open(second, user.apiKey());
                SseClient onFirst = SseClient.open(first, user.apiKey())) {
            // created on the second instance, so the first must open a secret the second sealed
            receiver.trust(b.post("/api/v1/webhooks", Map.of("url", receiver.url("/cluster"))).json().path("secret")
                    .asString());
            String device = a.post("/api/v1/devices", Map.of("name", "Shared", "type", "dimmer")).json().path("id")
                    .asString();
            SseClient.Event created = onSecond.next(WAIT);
            assertThat(created.type()).isEqualTo("device.created");
            assertThat(created.json().path("device").path("id").asString()).isEqualTo(device);
            assertThat(onFirst.next(WAIT).id()).isEqualTo(created.id());

            int changes = 20;
            for (int i = 1; i <= changes; i++) {
                Api through = i % 2 == 0 ? a : b;
                assertThat(through.put("/api/v1/devices/" + device + "/properties", Map.of("brightness", i)).status())
                        .isEqualTo(200);
            }
            List<SseClient.Event> seen = new ArrayList<>();
            for (int i = 0; i < changes; i++) {
                seen.add(onSecond.next(WAIT));
            }
            assertThat(seen).extracting(e -> e.json().path("snapshot").path("brightness").asInt())
                    .containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(1, changes).boxed().toList());

            // one message per event, each sent exactly once although every instance runs the scheduler
            List<WebhookReceiver.Delivery> deliveries;
            try {
                deliveries = receiver.await(changes + 1, WAIT);
            } catch (AssertionError e) {
                // say where the missing message is: staged or not, leased to whom, attempted or not
                throw new AssertionError(e.getMessage() + "; unfinished messages: " + TestDatabase.superuser(
                                "jdbc:postgresql://localhost:" + databasePort + "/virtdevice",
                                TestDatabase.credentials(environment).superuser())
                        .sql("""
                                select d.event_id, d.status, d.attempts, d.lease_until, d.next_attempt_at, d.error, d.created_at
                                  from webhook_deliveries d where d.user_id = :user and d.status <> 'succeeded'
                                """)
                        .param("user", user.userId()).query().listOfRows(), e);
            }
            deliveries = receiver.assertStaysAt(changes + 1, Duration.ofMillis(1500));
            assertThat(deliveries).allMatch(WebhookReceiver.Delivery::signatureValid);
            Map<String, Long> perMessage = deliveries.stream()
                    .collect(Collectors.groupingBy(WebhookReceiver.Delivery::id, Collectors.counting()));
            assertThat(perMessage.values()).allMatch(n -> n == 1);
            Set<String> eventIds = deliveries.stream().map(d -> d.json().path("id").asString()).collect(Collectors.toSet());
            assertThat(eventIds).hasSize(changes + 1);
        }
        // recurring work is one row for the whole cluster
        assertThat(jdbc.sql("select count(*) from scheduled_tasks where task_name = 'webhooks.purge-deliveries'")
                .query(Long.class).single()).isEqualTo(1);
    }

    private ConfigurableApplicationContext start(String name, String... extra) {
        List<String> settings = new ArrayList<>(List.of(
                "db-scheduler.polling-interval=200ms",
                "virtdevice.webhooks.allowed-cidrs=127.0.0.1/32",
                "virtdevice.webhooks.retry-delays=500ms,1s,1s"));
        // a setting given here replaces the default above (SecondInstance overrides, never joins)
        settings.addAll(List.of(extra));
        ConfigurableApplicationContext context = SecondInstance.start(applicationContext, "instance-" + name, settings);
        STARTED.add(context);
        return context;
    }

    private static String url(ConfigurableApplicationContext context) {
        return "http://127.0.0.1:" + ((WebServerApplicationContext) context).getWebServer().getPort();
    }

    private static void awaitListening(ConfigurableApplicationContext context) {
        PostgresEventListener listener = context.getBean(PostgresEventListener.class);
        await("instance listening").atMost(WAIT).pollInterval(Duration.ofMillis(50)).until(listener::listening);
    }

    private static void awaitSubscribed(ConfigurableApplicationContext context) {
        RedisMessageListenerContainer container = context.getBean(RedisMessageListenerContainer.class);
        await("instance subscribed").atMost(WAIT).pollInterval(Duration.ofMillis(50)).until(container::isListening);
    }

}
