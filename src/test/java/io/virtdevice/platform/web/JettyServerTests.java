package io.virtdevice.platform.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.RawHttp;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.jetty.JettyWebServer;
import org.springframework.boot.web.server.servlet.context.ServletWebServerApplicationContext;

@IntegrationTest
class JettyServerTests {

    @LocalServerPort
    int port;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    @Autowired
    ServletWebServerApplicationContext context;

    @Test
    void selectorsAndAcceptorsRunOnPlatformThreadsAndRequestsOnVirtualOnes() {
        Server server = ((JettyWebServer) context.getWebServer()).getServer();
        // not Spring Boot's VirtualThreadPool for the whole server (docs/decisions.md, h-jetty2)
        assertThat(server.getThreadPool()).isInstanceOf(QueuedThreadPool.class);
        assertThat(((QueuedThreadPool) server.getThreadPool()).getVirtualThreadsExecutor()).isNotNull();
        ServerConnector connector = (ServerConnector) server.getConnectors()[0];
        // above the live streams' 20 s heartbeat
        assertThat(connector.getIdleTimeout()).isEqualTo(60_000);
        // room for virtdevice.events.max-streams and the requests beside them
        assertThat(server.getBean(NetworkConnectionLimit.class).getMaxNetworkConnectionCount()).isEqualTo(11_000);
    }

    @Test
    void otherResponsesKeepJettysBuffer() {
        Fixtures.TestUser user = new Fixtures(dataSource, hasher).owner(50);
        Api api = new Api(port).bearer(user.apiKey());
        for (int i = 0; i < 6; i++) {
            assertThat(api.post("/api/v1/devices", Map.of("name", "Lamp " + i, "type", "dimmer")).status())
                    .isEqualTo(201);
        }

        RawHttp.Response list = RawHttp.send(port, "GET", "/api/v1/devices?limit=6",
                List.of("Authorization: Bearer " + user.apiKey(), "Accept: application/json"), null);

        assertThat(list.status()).isEqualTo(200);
        // bigger than a stream's 2 KB buffer, smaller than Jetty's 32 KB: still sent whole, with its length
        assertThat(list.body().length()).isBetween(2049, 8191);
        assertThat(list.header("Content-Length")).isEqualTo(Integer.toString(list.body().length()));
        assertThat(list.header("Transfer-Encoding")).isNull();
    }

    @Test
    void whatJettyRefusesItselfIsAProblemUnderApi() {
        RawHttp.Response badPath = RawHttp.send(port, "GET", "/api/v1/devices/%zz", List.of(), null);
        assertThat(badPath.status()).isEqualTo(400);
        assertThat(badPath.header("Content-Type")).startsWith("application/problem+json");
        assertThat(badPath.body()).contains("\"status\":400");

        RawHttp.Response oversized = RawHttp.send(port, "GET", "/api/v1/devices",
                List.of("X-Padding: " + "a".repeat(20_000)), null);
        assertThat(oversized.status()).isEqualTo(431);
        assertThat(oversized.header("Content-Type")).startsWith("application/problem+json");
        assertThat(oversized.body()).contains("\"status\":431");
    }

    @Test
    void aStreamStillStarts() {
        Fixtures.TestUser user = new Fixtures(dataSource, hasher).owner();

        RawHttp.Response stream = RawHttp.send(port, "GET", "/api/v1/events/stream",
                List.of("Authorization: Bearer " + user.apiKey(), "Accept: text/event-stream"), null);

        assertThat(stream.status()).isEqualTo(200);
        assertThat(stream.header("Content-Type")).startsWith("text/event-stream");
    }
}
