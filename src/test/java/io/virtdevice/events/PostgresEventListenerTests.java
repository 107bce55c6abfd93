package io.virtdevice.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.SseClient;
import io.virtdevice.testing.TenantSql;
import java.time.Duration;
import java.util.List;
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
            List<Integer> killed = jdbc.sql("select pid from pg_stat_activity "
                            + "where application_name = 'virtdevice-events-listener'")
                    .query(Integer.class).list();
            assertThat(killed).hasSize(1);
            assertThat(jdbc.sql("select pg_terminate_backend(:pid)").param("pid", killed.get(0)).query(Boolean.class)
                    .single()).isTrue();
            // listening again, on a new connection
            await("the listener reconnected").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                    .until(() -> listener.listening() && jdbc.sql("select count(*) from pg_stat_activity "
                                    + "where application_name = 'virtdevice-events-listener' and pid <> :killed")
                            .param("killed", killed.get(0)).query(Long.class).single() == 1);
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
            await("the listener restarted").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                    .until(listener::listening);
        }
    }
}
