package io.virtdevice.platform;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

/** The version of pom.xml reaches /actuator/info (build-info) and the footer of every dashboard page. */
@IntegrationTest
class VersionTests {

    private static final Map<String, String> HTML = Map.of("Accept", "text/html");

    @LocalServerPort
    int port;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    @Test
    void actuatorInfoReportsThePomVersion() throws IOException {
        Api.Response info = new Api(port).get("/actuator/info");

        assertThat(info.status()).isEqualTo(200);
        assertThat(info.json().get("build").get("version").asString()).isEqualTo(pomVersion());
        assertThat(info.json().get("build").get("artifact").asString()).isEqualTo("virtdevice");
    }

    @Test
    void theFooterShowsTheVersionSignedOutAndSignedIn() throws IOException {
        String footer = "<p>VirtDevice <span class=\"version\">" + pomVersion() + "</span></p>";
        for (String page : new String[] {"/", "/login", "/signup"}) {
            Api.Response response = new Api(port).send("GET", page, null, HTML);
            assertThat(response.status()).as(page).isEqualTo(200);
            assertThat(response.body()).as(page).contains(footer);
        }

        Fixtures.TestUser user = new Fixtures(dataSource, hasher).owner();
        Api api = new Api(port).withCsrf();
        assertThat(api.post("/api/v1/auth/login", Map.of("email", user.email(), "password", Fixtures.PASSWORD))
                        .status())
                .isEqualTo(200);
        for (String page : new String[] {"/devices", "/settings", "/webhooks", "/billing", "/integrations/ifttt", "/integrations/alexa"}) {
            Api.Response response = api.send("GET", page, null, HTML);
            assertThat(response.status()).as(page).isEqualTo(200);
            assertThat(response.body()).as(page).contains(footer);
        }
    }

    /** The project's version as pom.xml declares it (the revision property), e.g. 0.9.0-SNAPSHOT. */
    private static String pomVersion() throws IOException {
        Matcher revision = Pattern.compile("<revision>([^<]+)</revision>").matcher(Files.readString(Path.of("pom.xml")));
        assertThat(revision.find()).as("pom.xml declares <revision>").isTrue();
        assertThat(revision.group(1)).matches("\\d+\\.\\d+\\.\\d+(-SNAPSHOT)?");
        return revision.group(1);
    }
}
