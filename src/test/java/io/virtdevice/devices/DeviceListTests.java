package io.virtdevice.devices;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.testing.Api;
import io.virtdevice.testing.IntegrationTest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

@IntegrationTest
class DeviceListTests extends DeviceTests {

    @Test
    void walksAllPagesInCreationOrderWithoutDuplicates() {
        Api api = api(fixtures().owner(12));
        List<UUID> created = new ArrayList<>();
        for (int i = 0; i < 11; i++) {
            created.add(create(api, "Device " + i, i % 2 == 0 ? "switch" : "motion_sensor"));
        }
        List<UUID> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            JsonNode page = api.get("/api/v1/devices?limit=3" + (cursor == null ? "" : "&cursor=" + cursor)).json();
            page.path("items").forEach(d -> seen.add(UUID.fromString(d.path("id").asString())));
            cursor = page.path("nextCursor").isNull() ? null : page.path("nextCursor").asString();
            pages++;
        } while (cursor != null && pages < 10);
        assertThat(pages).isEqualTo(4);
        assertThat(seen).containsExactlyElementsOf(created);
        assertThat(new HashSet<>(seen)).hasSize(11);
    }

    @Test
    void aFullLastPageHasNoNextCursor() {
        Api api = api(fixtures().owner());
        create(api, "A", "switch");
        create(api, "B", "switch");
        JsonNode page = api.get("/api/v1/devices?limit=2").json();
        assertThat(page.path("items")).hasSize(2);
        assertThat(page.path("nextCursor").isNull()).isTrue();
        assertThat(api.get("/api/v1/devices").json().path("items")).hasSize(2);
    }

    @Test
    void filtersByType() {
        Api api = api(fixtures().owner(5));
        create(api, "Switch 1", "switch");
        UUID dimmer = create(api, "Dimmer", "dimmer");
        create(api, "Switch 2", "switch");
        JsonNode dimmers = api.get("/api/v1/devices?type=dimmer").json().path("items");
        assertThat(dimmers).hasSize(1);
        assertThat(dimmers.get(0).path("id").asString()).isEqualTo(dimmer.toString());
        Set<String> types = new HashSet<>();
        api.get("/api/v1/devices?type=switch&limit=1").json().path("items")
                .forEach(d -> types.add(d.path("type").asString()));
        assertThat(types).containsExactly("switch");
        assertThat(api.get("/api/v1/devices?type=doorbell").json().path("items")).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"type=toaster", "limit=0", "limit=101", "limit=ten", "limit=1.5", "cursor=garbage!",
        "cursor=bm90LWEtY3Vyc29y", "cursor=MjAyNC0wMS0wMVQwMDowMDowMFp8bm90LWEtdXVpZA"})
    void refusesBadParameters(String query) {
        Api api = api(fixtures().owner());
        Api.Response response = api.get("/api/v1/devices?" + query);
        assertThat(response.status()).as(response.toString()).isEqualTo(400);
        assertThat(response.header("Content-Type")).startsWith("application/problem+json");
    }
}
