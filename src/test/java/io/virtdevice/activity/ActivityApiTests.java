package io.virtdevice.activity;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

@IntegrationTest
class ActivityApiTests {

    @LocalServerPort
    int port;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher passwordHasher;

    /** A user with two switches toggled a few times: 2 creations + 6 property changes. */
    private record Scenario(Api api, String lamp, String fan) {}

    private Scenario scenario() {
        Fixtures.TestUser user = new Fixtures(dataSource, passwordHasher).owner();
        Api api = new Api(port).bearer(user.apiKey());
        String lamp = api.post("/api/v1/devices", Map.of("name", "Lamp", "type", "switch")).json().path("id").asString();
        String fan = api.post("/api/v1/devices", Map.of("name", "Fan", "type", "switch")).json().path("id").asString();
        for (int i = 0; i < 3; i++) {
            api.put("/api/v1/devices/" + lamp + "/properties", Map.of("power", i % 2 == 0));
            api.put("/api/v1/devices/" + fan + "/properties", Map.of("power", i % 2 == 0));
        }
        return new Scenario(api, lamp, fan);
    }

    private static List<JsonNode> items(Api.Response response) {
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        List<JsonNode> items = new ArrayList<>();
        response.json().path("items").forEach(items::add);
        return items;
    }

    @Test
    void listsTheUsersActivityNewestFirst() {
        Scenario s = scenario();
        List<JsonNode> all = items(s.api().get("/api/v1/activity"));
        assertThat(all).hasSize(8);
        JsonNode newest = all.get(0);
        assertThat(newest.path("action").asString()).isEqualTo("property_changed");
        assertThat(newest.path("source").asString()).isEqualTo("api");
        assertThat(newest.path("deviceId").asString()).isEqualTo(s.fan());
        assertThat(newest.path("userId").asString()).isNotEmpty();
        assertThat(newest.path("details").path("name").asString()).isEqualTo("Fan");
        assertThat(newest.path("details").path("changes").get(0).path("property").asString()).isEqualTo("power");
        assertThat(newest.path("ipAddress").asString()).isEqualTo("127.0.0.1");
        assertThat(newest.path("userAgent").asString()).startsWith("Java-http-client");
        List<Instant> times = all.stream().map(i -> Instant.parse(i.path("createdAt").asString())).toList();
        assertThat(times).isSortedAccordingTo(java.util.Comparator.reverseOrder());
        assertThat(all.get(7).path("action").asString()).isEqualTo("device_created");
    }

    @Test
    void filtersByDeviceAndAction() {
        Scenario s = scenario();
        List<JsonNode> lamp = items(s.api().get("/api/v1/activity?deviceId=" + s.lamp()));
        assertThat(lamp).hasSize(4).allSatisfy(i -> assertThat(i.path("deviceId").asString()).isEqualTo(s.lamp()));
        List<JsonNode> created = items(s.api().get("/api/v1/activity?action=device_created"));
        assertThat(created).hasSize(2)
                .allSatisfy(i -> assertThat(i.path("action").asString()).isEqualTo("device_created"));
        List<JsonNode> both = items(s.api().get("/api/v1/activity?action=device_created&deviceId=" + s.fan()));
        assertThat(both).hasSize(1);
        assertThat(items(s.api().get("/api/v1/activity?action=doorbell_pressed"))).isEmpty();
    }

    @Test
    void filtersByTimeRangeFromInclusiveToExclusive() {
        Scenario s = scenario();
        List<JsonNode> all = items(s.api().get("/api/v1/activity"));
        String pivot = all.get(3).path("createdAt").asString();
        String encoded = URLEncoder.encode(pivot, StandardCharsets.UTF_8);
        List<JsonNode> before = items(s.api().get("/api/v1/activity?to=" + encoded));
        List<JsonNode> after = items(s.api().get("/api/v1/activity?from=" + encoded));
        assertThat(before).allSatisfy(i -> assertThat(Instant.parse(i.path("createdAt").asString()))
                .isBefore(Instant.parse(pivot)));
        assertThat(after).allSatisfy(i -> assertThat(Instant.parse(i.path("createdAt").asString()))
                .isAfterOrEqualTo(Instant.parse(pivot)));
        assertThat(before.size() + after.size()).isEqualTo(8);
        assertThat(after).isNotEmpty();
        List<JsonNode> window = items(s.api().get("/api/v1/activity?from=" + encoded + "&to=" + encoded));
        assertThat(window).isEmpty();
        assertThat(items(s.api().get("/api/v1/activity?from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00%2B02:00")))
                .isEmpty();
    }

    @Test
    void paginatesWithoutDuplicatesOrGaps() {
        Scenario s = scenario();
        List<String> all = items(s.api().get("/api/v1/activity")).stream().map(i -> i.path("id").asString()).toList();
        List<String> walked = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            JsonNode page = s.api().get("/api/v1/activity?limit=3" + (cursor == null ? "" : "&cursor=" + cursor))
                    .json();
            page.path("items").forEach(i -> walked.add(i.path("id").asString()));
            cursor = page.path("nextCursor").isNull() ? null : page.path("nextCursor").asString();
            pages++;
        } while (cursor != null && pages < 10);
        assertThat(pages).isEqualTo(3);
        assertThat(walked).containsExactlyElementsOf(all);
        assertThat(new HashSet<>(walked)).hasSize(8);

        JsonNode filtered = s.api().get("/api/v1/activity?limit=2&deviceId=" + s.lamp()).json();
        String next = filtered.path("nextCursor").asString();
        List<JsonNode> second = items(s.api().get("/api/v1/activity?limit=2&deviceId=" + s.lamp() + "&cursor=" + next));
        assertThat(second).hasSize(2).allSatisfy(i -> assertThat(i.path("deviceId").asString()).isEqualTo(s.lamp()));
    }

    @Test
    void neverShowsAnotherTenantsActivity() {
        Scenario alice = scenario();
        Scenario bob = scenario();
        List<JsonNode> seen = items(bob.api().get("/api/v1/activity?limit=100"));
        assertThat(seen).hasSize(8).noneSatisfy(i -> assertThat(i.path("deviceId").asString())
                .isIn(alice.lamp(), alice.fan()));
        assertThat(items(bob.api().get("/api/v1/activity?deviceId=" + alice.lamp()))).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"action=bogus", "action=DEVICE_CREATED", "from=yesterday", "to=2024-13-01T00:00:00Z",
        "from=2024-02-01T00:00:00Z&to=2024-01-01T00:00:00Z", "limit=0", "limit=101", "limit=x", "cursor=%25%25",
        "cursor=Zm9vYmFy", "deviceId=not-a-uuid"})
    void refusesBadParameters(String query) {
        Api api = new Api(port).bearer(new Fixtures(dataSource, passwordHasher).owner().apiKey());
        Api.Response response = api.get("/api/v1/activity?" + query);
        assertThat(response.status()).as(response.toString()).isEqualTo(400);
        assertThat(response.header("Content-Type")).startsWith("application/problem+json");
    }

    @Test
    void needsCredentials() {
        assertThat(new Api(port).get("/api/v1/activity").status()).isEqualTo(401);
    }
}
