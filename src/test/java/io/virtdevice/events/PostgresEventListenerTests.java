package io.virtdevice.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.SseClient;
import io.virtdevice.testing.TenantSql;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;

@IntegrationTest
class PostgresEventListenerTests {

    @LocalServerPort
    int port;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    @Autowired
    JdbcClient jdbc;

    @Autowired
    PostgresEventListener listener;

    @Autowired
    org.springframework.context.ApplicationContext context;

    @Test
    void startsNothingRedisRelatedWithoutRedisConfigured() {
        assertThat(context.getBeanNamesForType(org.springframework.data.redis.connection.RedisConnectionFactory.class))
                .isEmpty();
        assertThat(context.getBeanNamesForType(org.springframework.data.redis.listener.RedisMessageListenerContainer.class))
                .isEmpty();
        assertThat(context.getBeanNamesForType(RedisEventRelay.Publisher.class)).isEmpty();
        assertThat(new Api(port).get("/actuator/health").json().path("status").asString()).isEqualTo("UP");
    }

    @Test
    void reconnectsWhenItsConnectionIsKilledAndKeepsStreaming() {
        Fixtures.TestUser user = new Fixtures(dataSource, hasher).owner();
        Api api = new Api(port).bearer(user.apiKey());
        try (SseClient stream = SseClient.open("http://127.0.0.1:" + port, user.apiKey())) {
            UUID device = UUID.fromString(api.post("/api/v1/devices", Map.of("name", "Before", "type", "switch"))
                    .json().path("id").asString());
            assertThat(stream.next(Duration.ofSeconds(10)).json().path("device").path("name").asString())
                    .isEqualTo("Before");

            // the app role may end its own sessions: this is the listener's dedicated connection
            int killed = jdbc.sql("select count(pg_terminate_backend(pid)) from pg_stat_activity "
                            + "where application_name = 'virtdevice-events-listener'")
                    .query(Integer.class).single();
            assertThat(killed).isEqualTo(1);
            long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (listener.listening() && System.nanoTime() < end) {
                sleep(10);
            }
            while (!listener.listening() && System.nanoTime() < end) {
                sleep(50);
            }
            assertThat(listener.listening()).isTrue();
            assertThat(listener.health().getStatus().getCode()).isEqualTo("UP");

            // a change committed by another instance: its event row, then its notice (this instance's own
            // changes reach its streams without the bus)
            UUID event = new TenantSql(dataSource).as(user, sql -> sql.sql("""
                            insert into device_events (tenant_id, user_id, device_id, device_name, device_type, kind,
                                                       source, device_version)
                            values (:t, :u, :d, 'After', 'switch', 'device.updated', 'api', 2) returning id
                            """)
                    .param("t", user.tenantId()).param("u", user.userId()).param("d", device)
                    .query(UUID.class).single());
            jdbc.sql("select pg_notify('device_events', :payload)")
                    .param("payload", "{\"id\":\"" + event + "\",\"user_id\":\"" + user.userId() + "\"}")
                    .query((rs, i) -> 1).single();
            assertThat(stream.next(Duration.ofSeconds(10)).json().path("device").path("name").asString())
                    .isEqualTo("After");
        }
    }

    @Test
    void changesMadeHereReachStreamsHereWhileTheBusIsDown() {
        Fixtures.TestUser user = new Fixtures(dataSource, hasher).owner();
        Api api = new Api(port).bearer(user.apiKey());
        try (SseClient stream = SseClient.open("http://127.0.0.1:" + port, user.apiKey())) {
            listener.stop();
            try {
                assertThat(listener.listening()).isFalse();
                api.post("/api/v1/devices", Map.of("name", "Offline", "type", "switch"));
                assertThat(stream.next(Duration.ofSeconds(10)).json().path("device").path("name").asString())
                        .isEqualTo("Offline");
            } finally {
                listener.start();
            }
            long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!listener.listening() && System.nanoTime() < end) {
                sleep(50);
            }
            assertThat(listener.listening()).isTrue();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
