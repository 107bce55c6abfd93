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
import org.apache.catalina.connector.Connector;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.tomcat.TomcatWebServer;
import org.springframework.boot.web.server.servlet.context.ServletWebServerApplicationContext;

@IntegrationTest
class ConnectionBuffersTests {

    @LocalServerPort
    int port;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    @Autowired
    ServletWebServerApplicationContext context;

    @Test
    void theConnectorHasTheSmallBuffers() {
        Connector connector = ((TomcatWebServer) context.getWebServer()).getTomcat().getConnector();
        assertThat(connector.getProtocolHandler()).isInstanceOf(ConnectionBuffers.Http11Protocol.class);
        assertThat(connector.getProtocolHandler().getDesiredBufferSize()).isEqualTo(2048);
        assertThat(connector.getProperty("socket.appReadBufSize")).hasToString("4096");
        assertThat(connector.getProperty("socket.appWriteBufSize")).hasToString("4096");
        // the settings Spring Boot applies to its protocol still reach the subclass
        assertThat(connector.getProperty("maxConnections")).hasToString("11000");
    }

    @Test
    void otherResponsesKeepTomcatsEightKilobyteBuffer() {
        Fixtures.TestUser user = new Fixtures(dataSource, hasher).owner(50);
        Api api = new Api(port).bearer(user.apiKey());
        for (int i = 0; i < 6; i++) {
            assertThat(api.post("/api/v1/devices", Map.of("name", "Lamp " + i, "type", "dimmer")).status())
                    .isEqualTo(201);
        }

        RawHttp.Response list = RawHttp.send(port, "GET", "/api/v1/devices?limit=6",
                List.of("Authorization: Bearer " + user.apiKey(), "Accept: application/json"), null);

        assertThat(list.status()).isEqualTo(200);
        // bigger than a stream's 2 KB buffer, smaller than 8 KB: still sent whole, with its length
        assertThat(list.body().length()).isBetween(2049, 8191);
        assertThat(list.header("Content-Length")).isEqualTo(Integer.toString(list.body().length()));
        assertThat(list.header("Transfer-Encoding")).isNull();
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
