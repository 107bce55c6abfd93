package io.virtdevice.oauth;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.testing.Api;
import io.virtdevice.testing.AppInstance;
import io.virtdevice.testing.TestDatabase;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * The secret-rotation command ({@code --virtdevice.oauth.rotate-secret=<client-id>}): a new secret, printed
 * once, stored only as its hash, and accepted by the token endpoint from then on. Runs a whole application
 * the way {@code java -jar} starts it (the test JVM's embedded database).
 */
@ExtendWith(OutputCaptureExtension.class)
class ClientSecretRotationTests {

    private static final Pattern SECRET = Pattern.compile("vdcs_[A-Za-z0-9_-]{43}");

    @Test
    void rotatesASecretPrintsItOnceAndTheTokenEndpointAcceptsIt(CapturedOutput output) {
        String clientId = "ifttt-rotation-" + UUID.randomUUID().toString().substring(0, 8);
        try (AppInstance app = AppInstance.start("LOG_FORMAT=", "virtdevice.oauth.clients.ifttt.service-id=rotation_test",
                "virtdevice.oauth.clients.ifttt.client-id=" + clientId, "virtdevice.oauth.rotate-secret=" + clientId)) {
            Matcher printed = SECRET.matcher(output.getOut());
            assertThat(printed.find()).as(output.getOut()).isTrue();
            String secret = printed.group();
            assertThat(printed.find()).as("printed once").isFalse();
            assertThat(output.getOut()).contains("New client secret for OAuth client '" + clientId + "'");
            assertThat(output.getAll().replace(output.getOut(), "")).doesNotContain(secret);

            byte[] stored = TestDatabase.of(app.context()).superuser()
                    .sql("select client_secret_hash from oauth_clients where client_id = :c")
                    .param("c", clientId).query(byte[].class).single();
            assertThat(stored).isEqualTo(io.virtdevice.platform.crypto.Tokens.sha256(secret));

            OAuthFlow flow = new OAuthFlow(app.port());
            Map<String, String> form = Map.of("grant_type", "authorization_code", "code", "no-such-code",
                    "redirect_uri", "https://ifttt.com/channels/rotation_test/authorize");
            Api.Response accepted = flow.basic("/oauth2/token", clientId, secret, form);
            Api.Response refused = flow.basic("/oauth2/token", clientId, secret.substring(0, secret.length() - 1) + "x", form);
            // the client authenticated, so only the made-up code is wrong
            assertThat(accepted.json().path("error").asString()).as(accepted.toString()).isEqualTo("invalid_grant");
            assertThat(refused.json().path("error").asString()).isEqualTo("invalid_client");
        }
    }
}
