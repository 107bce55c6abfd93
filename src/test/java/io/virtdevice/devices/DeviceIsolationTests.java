package io.virtdevice.devices;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Another tenant's device is indistinguishable from one that does not exist, on every route. */
@IntegrationTest
class DeviceIsolationTests extends DeviceTests {

    @Test
    void anotherTenantsDeviceIsNotFoundOnEveryRoute() {
        Fixtures.TestUser alice = fixtures().owner();
        Fixtures.TestUser bob = fixtures().owner();
        Api a = api(alice);
        Api b = api(bob);
        UUID aliceDevice = create(a, "Alice's lamp", "dimmer");
        UUID aliceDoorbell = create(a, "Alice's bell", "doorbell");
        String trigger = a.post("/api/v1/devices/" + aliceDevice + "/triggers", Map.of("name", "t")).json()
                .path("id").asString();

        String path = "/api/v1/devices/" + aliceDevice;
        List<Api.Response> responses = List.of(
                b.get(path),
                b.patch(path, Map.of("name", "mine now")),
                b.put(path + "/properties", Map.of("power", true)),
                b.post("/api/v1/devices/" + aliceDoorbell + "/press", null),
                b.get(path + "/triggers"),
                b.post(path + "/triggers", Map.of("name", "steal")),
                b.delete(path + "/triggers/" + trigger),
                b.delete(path));
        for (Api.Response response : responses) {
            assertThat(response.status()).as(response.toString()).isEqualTo(404);
            assertThat(response.json().path("type").asString()).endsWith("/not-found");
        }

        Api.Response untouched = a.get(path);
        assertThat(untouched.json().path("version").asLong()).isEqualTo(1);
        assertThat(untouched.json().path("name").asString()).isEqualTo("Alice's lamp");
        assertThat(a.get(path + "/triggers").json().path("items")).hasSize(1);
    }

    @Test
    void aNonexistentDeviceIsTheSameNotFound() {
        Api api = api(fixtures().owner());
        UUID missing = UUID.randomUUID();
        assertThat(api.get("/api/v1/devices/" + missing).status()).isEqualTo(404);
        assertThat(api.put("/api/v1/devices/" + missing + "/properties", Map.of("power", true)).status())
                .isEqualTo(404);
        assertThat(api.delete("/api/v1/devices/" + missing).status()).isEqualTo(404);
    }

    @Test
    void listsOnlyTheCallersOwnDevices() {
        Fixtures.TestUser alice = fixtures().owner();
        Fixtures.TestUser bob = fixtures().owner();
        UUID aliceDevice = create(api(alice), "Same name", "switch");
        UUID bobDevice = create(api(bob), "Same name", "switch");
        assertThat(api(alice).get("/api/v1/devices").json().path("items").findValuesAsString("id"))
                .containsExactly(aliceDevice.toString());
        assertThat(api(bob).get("/api/v1/devices").json().path("items").findValuesAsString("id"))
                .containsExactly(bobDevice.toString());
    }
}
