package io.virtdevice.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.virtdevice.testing.Api;
import io.virtdevice.testing.AppInstance;
import io.virtdevice.testing.ProbeRoutes;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Stopping the app (SIGTERM, a rolling deployment) lets requests in flight finish first. */
class GracefulShutdownTests {

    @Test
    void finishesARequestInFlightBeforeStopping() throws Exception {
        AppInstance app = AppInstance.start(List.of(ProbeRoutes.class));
        int port = app.port();
        CompletableFuture<Api.Response> inFlight = CompletableFuture.supplyAsync(() -> new Api(port).get("/test-probe/slow"));
        ProbeRoutes probe = app.context().getBean(ProbeRoutes.class);
        assertThat(probe.awaitSlowRequest(Duration.ofSeconds(10))).isTrue();

        app.close();
        assertThat(probe.slowRequestFinished()).as("close waited for the request").isTrue();

        Api.Response response = inFlight.get(10, TimeUnit.SECONDS);
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("finished");
        assertThatThrownBy(() -> new Api(port).get("/actuator/health/liveness"))
                .as("no new connections after shutdown")
                .isInstanceOf(UncheckedIOException.class);
    }
}
