package io.virtdevice.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.virtdevice.testing.AppInstance;
import io.virtdevice.testing.ProbeRoutes;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** With production defaults the console log is ECS JSON, one object per line, with the request id. */
@ExtendWith(OutputCaptureExtension.class)
class StructuredLoggingTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void writesEcsJsonLinesCarryingTheRequestId(CapturedOutput output) {
        String requestId = "log-test-" + UUID.randomUUID();
        try (AppInstance app = AppInstance.start(List.of(ProbeRoutes.class))) {
            int status = app.api().send("GET", "/test-probe/log", null, Map.of("X-Request-Id", requestId)).status();
            assertThat(status).isEqualTo(200);

            JsonNode line = await().atMost(Duration.ofSeconds(5)).until(() -> output.getOut().lines()
                    .filter(l -> l.contains(requestId))
                    .map(JSON::readTree)
                    .findFirst()
                    .orElse(null), Objects::nonNull);

            assertThat(line.path("requestId").asString()).isEqualTo(requestId);
            assertThat(line.path("message").asString()).isEqualTo(ProbeRoutes.LOG_MESSAGE);
            assertThat(line.path("log").path("level").asString()).isEqualTo("INFO");
            assertThat(line.path("log").path("logger").asString()).isEqualTo(ProbeRoutes.class.getName());
            assertThat(line.path("@timestamp").asString()).isNotEmpty();
            assertThat(line.path("service").path("name").asString()).isEqualTo("virtdevice");
            assertThat(line.path("ecs").path("version").asString()).isNotEmpty();
        }
        assertThat(output.getOut().lines().filter(l -> l.contains("Database role check passed")))
                .as("start-up lines are JSON too")
                .singleElement()
                .satisfies(l -> assertThat(JSON.readTree(l).path("log").path("level").asString()).isEqualTo("INFO"));
    }
}
