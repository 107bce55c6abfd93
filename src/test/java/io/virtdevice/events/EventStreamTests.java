package io.virtdevice.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.SseClient;
import io.virtdevice.testing.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;

@IntegrationTest
class EventStreamTests {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @LocalServerPort
    int port;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    @Autowired
    ApplicationContext context;

    @Test
    void streamsEveryChangeOfTheUsersDevices() {
        Fixtures.TestUser user = new Fixtures(dataSource, hasher).owner();
        Api api = new Api(port).bearer(user.apiKey());
        try (SseClient stream = SseClient.open("http://127.0.0.1:" + port, user.apiKey())) {
            String id = api.post("/api/v1/devices", Map.of("name", "Lamp", "type", "dimmer")).json().path("id").asString();
            api.put("/api/v1/devices/" + id + "/properties", Map.of("brightness", 40));

            SseClient.Event created = stream.next(WAIT);
            assertThat(created.type()).isEqualTo("device.created");
            assertThat(created.json().path("device").path("id").asString()).isEqualTo(id);
            SseClient.Event changed = stream.next(WAIT);
            assertThat(changed.type()).isEqualTo("property.changed");
            assertThat(changed.json().path("changes").get(0).path("new").asInt()).isEqualTo(40);
            assertThat(changed.json().path("snapshot").path("brightness").asInt()).isEqualTo(40);
            assertThat(Long.parseLong(changed.id())).isGreaterThan(Long.parseLong(created.id()));
        }
    }

    @Test
    void sendsEachChangeCommittedHereOnceAndExactlyAsStored() {
        Fixtures.TestUser user = new Fixtures(dataSource, hasher).owner();
        Api api = new Api(port).bearer(user.apiKey());
        List<SseClient.Event> live = new ArrayList<>();
        try (SseClient stream = SseClient.open("http://127.0.0.1:" + port, user.apiKey())) {
            String id = api.post("/api/v1/devices", Map.of("name", "Dimmer", "type", "dimmer")).json().path("id")
                    .asString();
            for (int level = 1; level <= 20; level++) {
                api.put("/api/v1/devices/" + id + "/properties", Map.of("brightness", level));
            }
            for (int i = 0; i < 21; i++) {
                live.add(stream.next(WAIT));
            }
            // this instance hands its own commits to the stream and also hears of them from the bus: once only
            assertThat(stream.drain(Duration.ofMillis(1000))).isEmpty();
        }
        assertThat(live).extracting(SseClient.Event::id).doesNotHaveDuplicates();
        assertThat(live).extracting(e -> e.json().path("snapshot").path("brightness").asInt())
                .containsExactlyInAnyOrder(100, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20);
        // a resume reads the same events back from the database: the bytes match what was sent live
        String before = String.valueOf(live.stream().mapToLong(e -> Long.parseLong(e.id())).min().orElseThrow() - 1);
        try (SseClient resumed = SseClient.open("http://127.0.0.1:" + port + "/api/v1/events/stream",
                Map.of("Authorization", "Bearer " + user.apiKey(), "Last-Event-ID", before))) {
            Map<String, String> stored = new java.util.HashMap<>();
            for (int i = 0; i < 21; i++) {
                SseClient.Event event = resumed.next(WAIT);
                stored.put(event.id(), event.data());
            }
            live.forEach(e -> assertThat(stored.get(e.id())).as("event %s", e.id()).isEqualTo(e.data()));
        }
    }

    @Test
    void sendsEachDevicesEventsInVersionOrderAndReadsBackOnesWhoseNoticeWasLost() {
        Fixtures.TestUser user = new Fixtures(dataSource, hasher).owner();
        Api api = new Api(port).bearer(user.apiKey());
        try (SseClient stream = SseClient.open("http://127.0.0.1:" + port, user.apiKey())) {
            String id = api.post("/api/v1/devices", Map.of("name", "Fan", "type", "switch")).json().path("id").asString();
            assertThat(stream.next(WAIT).json().path("version").asLong()).isEqualTo(1);
            // a change committed elsewhere whose notice never comes (version 2) ...
            JdbcClient superuser = TestDatabase.of(context).superuser();
            superuser.sql("update devices set version = 2 where id = :id").param("id", UUID.fromString(id)).update();
            superuser.sql("""
                            insert into device_events (tenant_id, user_id, device_id, device_name, device_type, kind,
                                                       source, device_version)
                            values (:t, :u, :d, 'Fan (elsewhere)', 'switch', 'device.updated', 'api', 2)
                            """)
                    .param("t", user.tenantId()).param("u", user.userId()).param("d", UUID.fromString(id))
                    .update();
            // ... then one committed here (version 3), which reaches the stream first
            api.put("/api/v1/devices/" + id + "/properties", Map.of("power", true));

            SseClient.Event second = stream.next(WAIT);
            SseClient.Event third = stream.next(WAIT);
            assertThat(second.json().path("version").asLong()).isEqualTo(2);
            assertThat(second.json().path("device").path("name").asString()).isEqualTo("Fan (elsewhere)");
            assertThat(third.json().path("version").asLong()).isEqualTo(3);
            assertThat(third.type()).isEqualTo("property.changed");
            // held no longer than the wait for the missing one, plus its read
            assertThat(Duration.between(second.receivedAt(), third.receivedAt())).isLessThan(Duration.ofSeconds(1));
            assertThat(stream.drain(Duration.ofMillis(700))).isEmpty();
        }
    }

    @Test
    void neverShowsAnotherUsersChanges() {
        Fixtures fixtures = new Fixtures(dataSource, hasher);
        Fixtures.TestUser me = fixtures.owner();
        Fixtures.TestUser other = fixtures.owner();
        try (SseClient stream = SseClient.open("http://127.0.0.1:" + port, me.apiKey())) {
            new Api(port).bearer(other.apiKey()).post("/api/v1/devices", Map.of("name", "Theirs", "type", "switch"));
            new Api(port).bearer(me.apiKey()).post("/api/v1/devices", Map.of("name", "Mine", "type", "switch"));
            SseClient.Event event = stream.next(WAIT);
            assertThat(event.json().path("device").path("name").asString()).isEqualTo("Mine");
            assertThat(stream.drain(Duration.ofMillis(700))).isEmpty();
        }
    }

    @Test
    void resumesAfterLastEventIdWithoutGapsOrRepeats() {
        Fixtures.TestUser user = new Fixtures(dataSource, hasher).owner();
        Api api = new Api(port).bearer(user.apiKey());
        String id = api.post("/api/v1/devices", Map.of("name", "Switch", "type", "switch")).json().path("id").asString();
        String lastSeen;
        try (SseClient stream = SseClient.open("http://127.0.0.1:" + port, user.apiKey())) {
            api.put("/api/v1/devices/" + id + "/properties", Map.of("power", true));
            // the device.created notification may still arrive after the stream opened: skip it
            SseClient.Event seen = stream.next(WAIT);
            while (!"property.changed".equals(seen.json().path("type").asString())) {
                seen = stream.next(WAIT);
            }
            lastSeen = seen.id();
        }
        // missed while disconnected
        api.put("/api/v1/devices/" + id + "/properties", Map.of("power", false));
        api.put("/api/v1/devices/" + id + "/properties", Map.of("power", true));
        try (SseClient resumed = SseClient.open("http://127.0.0.1:" + port + "/api/v1/events/stream",
                Map.of("Authorization", "Bearer " + user.apiKey(), "Last-Event-ID", lastSeen))) {
            api.put("/api/v1/devices/" + id + "/properties", Map.of("power", false));
            List<SseClient.Event> events = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                events.add(resumed.next(WAIT));
            }
            assertThat(events).extracting(e -> e.json().path("snapshot").path("power").asBoolean())
                    .containsExactly(false, true, false);
            assertThat(events).extracting(e -> Long.parseLong(e.id())).isSorted().allMatch(s -> s > Long.parseLong(lastSeen));
            assertThat(resumed.drain(Duration.ofMillis(500))).isEmpty();
        }
    }

    @Test
    void needsAuthenticationAndLimitsStreamsPerUser() {
        try (SseClient anonymous = SseClient.open("http://127.0.0.1:" + port + "/api/v1/events/stream", Map.of())) {
            assertThat(anonymous.status()).isEqualTo(401);
        }
        try (SseClient bad = SseClient.open("http://127.0.0.1:" + port, "vdk_not-a-key")) {
            assertThat(bad.status()).isEqualTo(401);
        }
        Fixtures.TestUser user = new Fixtures(dataSource, hasher).owner();
        List<SseClient> open = new ArrayList<>();
        try {
            for (int i = 0; i < 5; i++) {
                open.add(SseClient.open("http://127.0.0.1:" + port, user.apiKey()));
                assertThat(open.get(i).status()).isEqualTo(200);
            }
            try (SseClient sixth = SseClient.open("http://127.0.0.1:" + port, user.apiKey())) {
                assertThat(sixth.status()).isEqualTo(429);
                JsonNode problem = tools.jackson.databind.json.JsonMapper.builder().build().readTree(sixth.errorBody());
                assertThat(problem.path("limit").asInt()).isEqualTo(5);
            }
        } finally {
            open.forEach(SseClient::close);
        }
    }
}
