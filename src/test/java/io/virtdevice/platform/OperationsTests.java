package io.virtdevice.platform;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.testing.Api;
import io.virtdevice.testing.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;

@IntegrationTest
class OperationsTests {

    @LocalServerPort
    int port;

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
}
