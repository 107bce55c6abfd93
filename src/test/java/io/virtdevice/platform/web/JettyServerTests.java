package io.virtdevice.platform.web;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.RawHttp;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
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
    void theConnectorsBuffersAreNotPooledAndLiveOnTheHeap() {
        Server server = ((JettyWebServer) context.getWebServer()).getServer();
        ServerConnector connector = (ServerConnector) server.getConnectors()[0];
        // a buffer released too early is garbage, never another connection's (docs/decisions.md, "Jetty's buffer
        // pool, off")
        assertThat(connector.getByteBufferPool()).isInstanceOf(ByteBufferPool.NonPooling.class);
        HttpConfiguration http = connector.getConnectionFactory(HttpConnectionFactory.class).getHttpConfiguration();
        assertThat(http.isUseInputDirectByteBuffers()).isFalse();
        assertThat(http.isUseOutputDirectByteBuffers()).isFalse();
        // what Spring Boot's own factory sets is still set
        assertThat(http.getSendServerVersion()).isFalse();
        assertThat(connector.getLocalPort()).isEqualTo(port);
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

    /**
     * An answer given without reading the request body (here a 401: an unknown API key) leaves the connection
     * reusable: the body's last byte arrives only after the server could have answered, and the next request on
     * the same connection is still answered. Before BodySizeLimitFilter drained unread bodies, Jetty answered at
     * once and then closed the connection without saying so (keep-alive clients failed now and then with
     * "header parser received no bytes").
     */
    @Test
    void anAnswerThatIgnoresTheBodyKeepsTheConnectionUsable() throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
            socket.setSoTimeout(15_000);
            java.io.OutputStream out = socket.getOutputStream();
            java.io.InputStream in = new java.io.BufferedInputStream(socket.getInputStream());
            out.write(("POST /api/v1/devices HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Authorization: Bearer vdk_not-a-real-key\r\nAccept: application/problem+json\r\n"
                    + "Content-Length: 2\r\n\r\n{").getBytes(US_ASCII));
            out.flush();
            // not an assertion: without the drain the 401 comes now; with it, only once the body is complete
            socket.setSoTimeout(300);
            try {
                in.mark(1);
                if (in.read() >= 0) {
                    in.reset();
                }
            } catch (java.net.SocketTimeoutException stillReadingTheBody) {
                // expected with the drain
            }
            socket.setSoTimeout(15_000);
            out.write(("}GET /actuator/health/liveness HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").getBytes(US_ASCII));
            out.flush();

            assertThat(status(in)).isEqualTo(401);
            assertThat(status(in)).as("the next request on the same connection").isEqualTo(200);
        }
    }

    /** Reads one response (status line, headers, a Content-Length body) and returns its status. */
    private static int status(java.io.InputStream in) throws java.io.IOException {
        String statusLine = line(in);
        assertThat(statusLine).as("a response, not a closed connection").isNotNull().startsWith("HTTP/1.1 ");
        int length = 0;
        for (String header = line(in); header != null && !header.isEmpty(); header = line(in)) {
            if (header.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                length = Integer.parseInt(header.substring(15).trim());
            }
        }
        assertThat(in.readNBytes(length)).hasSize(length);
        return Integer.parseInt(statusLine.substring(9, 12));
    }

    private static String line(java.io.InputStream in) throws java.io.IOException {
        StringBuilder line = new StringBuilder();
        for (int b = in.read(); b >= 0; b = in.read()) {
            if (b == '\n') {
                return line.toString().stripTrailing();
            }
            line.append((char) b);
        }
        return line.isEmpty() ? null : line.toString();
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
