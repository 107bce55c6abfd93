package io.virtdevice.devices;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

@IntegrationTest
class DeviceLimitTests extends DeviceTests {

    @Test
    void theThirdDeviceOnTheFreePlanIsAPlanLimitProblem() {
        Api api = api(fixtures().owner());
        create(api, "One", "switch");
        create(api, "Two", "switch");
        Api.Response third = api.post("/api/v1/devices", Map.of("name", "Three", "type", "switch"));
        assertThat(third.status()).isEqualTo(409);
        assertThat(third.header("Content-Type")).startsWith("application/problem+json");
        JsonNode problem = third.json();
        assertThat(problem.path("type").asString()).isEqualTo("https://virtdevice.io/problems/plan-limit-reached");
        assertThat(problem.path("limit").asInt()).isEqualTo(2);
        assertThat(problem.path("detail").asString()).contains("Your plan allows 2 devices");
        assertThat(api.get("/api/v1/devices").json().path("items")).hasSize(2);
    }

    @Test
    void deletingADeviceFreesItsPlace() {
        Api api = api(fixtures().owner());
        create(api, "One", "switch");
        var two = create(api, "Two", "switch");
        api.delete("/api/v1/devices/" + two);
        assertThat(api.post("/api/v1/devices", Map.of("name", "Three", "type", "switch")).status()).isEqualTo(201);
    }

    @Test
    void parallelCreatesNeverExceedThePlan() throws Exception {
        Fixtures.TestUser user = fixtures().owner();
        int attempts = 20;
        ExecutorService pool = Executors.newFixedThreadPool(attempts);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Api.Response>> futures = new ArrayList<>();
        try {
            for (int i = 0; i < attempts; i++) {
                String name = "Racer " + i;
                futures.add(pool.submit(() -> {
                    Api api = api(user);
                    start.await();
                    return api.post("/api/v1/devices", Map.of("name", name, "type", "switch"));
                }));
            }
            start.countDown();
            int created = 0;
            int limited = 0;
            for (Future<Api.Response> future : futures) {
                Api.Response response = future.get();
                if (response.status() == 201) {
                    created++;
                } else {
                    assertThat(response.status()).as(response.toString()).isEqualTo(409);
                    assertThat(response.json().path("limit").asInt()).isEqualTo(2);
                    limited++;
                }
            }
            assertThat(created).isEqualTo(2);
            assertThat(limited).isEqualTo(attempts - 2);
        } finally {
            pool.shutdown();
        }
        assertThat(api(user).get("/api/v1/devices").json().path("items")).hasSize(2);
        long stored = sql().as(user, jdbc -> jdbc.sql("select count(*) from devices").query(Long.class).single());
        assertThat(stored).isEqualTo(2);
    }
}
