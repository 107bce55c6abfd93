package io.virtdevice.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.SseClient;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * The dashboard's live stream {@code /live}: the API's events as htmx out-of-band HTML, in order, resumable
 * by {@code Last-Event-ID} (the browser's reconnect) or {@code ?lastEventId=} (htmx's new connection).
 */
@IntegrationTest
class LiveUpdatesTests {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @LocalServerPort
    int port;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    Api api;

    @BeforeEach
    void signIn() {
        Fixtures.TestUser owner = new Fixtures(dataSource, hasher).owner();
        api = new Api(port).withCsrf();
        Api.Response login = api.post("/api/v1/auth/login", Map.of("email", owner.email(), "password", Fixtures.PASSWORD));
        assertThat(login.status()).as(login.toString()).isEqualTo(200);
    }

    private SseClient live(Map<String, String> extra, String query) {
        String cookies = api.cookies().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining("; "));
        java.util.Map<String, String> headers = new java.util.HashMap<>(extra);
        headers.put("Cookie", cookies);
        return SseClient.open("http://127.0.0.1:" + port + "/live" + query, headers);
    }

    @Test
    void sendsEachChangeAsTheDeviceCardInOrder() {
        try (SseClient stream = live(Map.of(), "")) {
            assertThat(stream.status()).isEqualTo(200);
            String id = api.post("/api/v1/devices", Map.of("name", "Lamp", "type", "dimmer")).json().path("id").asString();
            api.put("/api/v1/devices/" + id + "/properties", Map.of("power", true));
            api.put("/api/v1/devices/" + id + "/properties", Map.of("brightness", 40));

            SseClient.Event created = stream.next(WAIT);
            assertThat(created.type()).isEqualTo(LiveUpdates.EVENT);
            assertThat(created.data()).contains("hx-swap-oob=\"beforeend:#device-grid\"")
                    .contains("id=\"device-" + id + "\"").contains("Off · 100%");
            SseClient.Event on = stream.next(WAIT);
            assertThat(on.data()).contains("hx-swap-oob=\"true\"").contains("data-version=\"2\"").contains("On · 100%");
            SseClient.Event dimmed = stream.next(WAIT);
            assertThat(dimmed.data()).contains("data-version=\"3\"").contains("On · 40%").contains("via <span>web</span>");
            assertThat(Long.parseLong(dimmed.id())).isGreaterThan(Long.parseLong(on.id()));
            assertThat(dimmed.data()).doesNotContain("\n");

            api.delete("/api/v1/devices/" + id);
            assertThat(stream.next(WAIT).data()).contains("id=\"device-" + id + "\"").contains("hx-swap-oob=\"delete\"");
        }
    }

    @Test
    void resumesAfterTheLastEventSeenWithoutLosingAChange() {
        String id;
        String lastSeen;
        try (SseClient stream = live(Map.of(), "")) {
            id = api.post("/api/v1/devices", Map.of("name", "Fan", "type", "switch")).json().path("id").asString();
            lastSeen = stream.next(WAIT).id();
        }
        // changes while the page is disconnected
        api.put("/api/v1/devices/" + id + "/properties", Map.of("power", true));
        api.put("/api/v1/devices/" + id + "/properties", Map.of("power", false));

        try (SseClient resumed = live(Map.of("Last-Event-ID", lastSeen), "")) {
            assertThat(resumed.next(WAIT).data()).contains("data-version=\"2\"").contains(">On<");
            assertThat(resumed.next(WAIT).data()).contains("data-version=\"3\"").contains(">Off<");
        }
        try (SseClient reopened = live(Map.of(), "?lastEventId=" + lastSeen)) {
            assertThat(reopened.next(WAIT).data()).contains("data-version=\"2\"");
            assertThat(reopened.next(WAIT).data()).contains("data-version=\"3\"");
        }
    }

    @Test
    void isOnlyForASignedInBrowser() {
        SseClient anonymous = SseClient.open("http://127.0.0.1:" + port + "/live", Map.of());
        assertThat(anonymous.status()).isIn(302, 401, 403);
        anonymous.close();
    }
}
