package io.virtdevice.platform;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.testing.Api;
import io.virtdevice.testing.IntegrationTest;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroups;
import org.springframework.boot.test.web.server.LocalServerPort;

@IntegrationTest
class OperationsTests {

    @LocalServerPort
    int port;

    @Autowired
    HealthEndpointGroups healthGroups;

    @Test
    void readinessIncludesTheDatabase() {
        Api.Response response = new Api(port).get("/actuator/health/readiness");
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.json().path("status").asString()).isEqualTo("UP");
    }

    @Test
    void everyResponseCarriesARequestId() {
        Api.Response response = new Api(port).send("GET", "/actuator/health/liveness", null,
                java.util.Map.of("X-Request-Id", "test-request-0001"));
        assertThat(response.header("X-Request-Id")).isEqualTo("test-request-0001");
    }

    @Test
    void livenessIsUpAndLeavesTheDatabaseToReadiness() {
        Api.Response response = new Api(port).get("/actuator/health/liveness");

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.json().path("status").asString()).isEqualTo("UP");
        // a database outage must take the instance out of rotation, not get it restarted
        assertThat(healthGroups.get("readiness").isMember("db")).isTrue();
        assertThat(healthGroups.get("liveness").isMember("db")).isFalse();
    }

    @Test
    void servesPrometheusMetricsOnlyWithTheMetricsToken() {
        Api api = new Api(port);
        assertThat(api.get("/actuator/health/readiness").status()).isEqualTo(200);
        assertThat(api.get("/actuator/health/liveness").status()).isEqualTo(200);

        Api.Response anonymous = api.send("GET", "/actuator/prometheus", null, Map.of("Accept", "text/plain"));
        assertThat(anonymous.status()).isEqualTo(401);
        assertThat(anonymous.body()).doesNotContain("jvm_memory_used_bytes");
        assertThat(new Api(port).bearer("not-the-metrics-token-0123456789").send("GET", "/actuator/prometheus", null,
                Map.of("Accept", "text/plain")).status()).isEqualTo(401);

        Api.Response response = new Api(port).bearer(IntegrationTest.METRICS_TOKEN)
                .send("GET", "/actuator/prometheus", null, Map.of("Accept", "text/plain"));

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.header("Content-Type")).startsWith("text/plain");
        assertThat(response.body()).contains("jvm_memory_used_bytes", "process_uptime_seconds",
                "hikaricp_connections_active{pool=\"virtdevice\"}", "http_server_requests_seconds_count");
    }

    @Test
    void hidesHealthDetailsFromAnonymousCallers() {
        Api.Response response = new Api(port).get("/actuator/health");

        assertThat(response.json().has("components")).isFalse();
        assertThat(response.json().has("details")).isFalse();
    }

    @Test
    void documentsTheApiAndTheUrlTriggersInOpenApi() {
        Api.Response response = new Api(port).get("/v3/api-docs");

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.json().path("openapi").asString()).startsWith("3.");
        assertThat(response.json().path("paths").has("/api/v1/devices/{id}/properties")).isTrue();
        assertThat(response.json().path("paths").has("/t/{token}")).isTrue();
        assertThat(response.json().path("components").path("securitySchemes").has("apiKey")).isTrue();
        assertThat(new Api(port).get("/swagger-ui/index.html").status()).isEqualTo(200);
    }
}
