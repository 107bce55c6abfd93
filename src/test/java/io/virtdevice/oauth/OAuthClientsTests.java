package io.virtdevice.oauth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The client configuration is checked at start-up: a bad redirect URI or a weak secret stops the app. */
class OAuthClientsTests {

    static final String SECRET = "a-long-enough-secret-0123456789abcdef";

    private static OAuthSettings settings(OAuthSettings.Web web, OAuthSettings.Alexa alexa, OAuthSettings.Ifttt ifttt,
            OAuthSettings.Mobile mobile) {
        return new OAuthSettings(Duration.ofHours(1), Duration.ofDays(30), Duration.ofHours(24), Duration.ofSeconds(10), Duration.ofSeconds(5),
                new OAuthSettings.Clients(web, alexa, ifttt, mobile), null);
    }

    private static OAuthSettings.Web web(String... uris) {
        return new OAuthSettings.Web("virtdevice-web", SECRET, List.of(uris), true, null);
    }

    private static final OAuthSettings.Alexa NO_ALEXA = new OAuthSettings.Alexa("alexa-smart-home", null, null, false, null);
    private static final OAuthSettings.Ifttt NO_IFTTT = new OAuthSettings.Ifttt("ifttt-service", null, null, null);
    private static final OAuthSettings.Mobile NO_MOBILE = new OAuthSettings.Mobile("virtdevice-mobile", null, null);
    private static final OAuthSettings.Web NO_WEB = new OAuthSettings.Web("virtdevice-web", null, null, true, null);

    @Test
    void servesNoClientThatIsNotConfigured() {
        OAuthClients clients = new OAuthClients(settings(NO_WEB, NO_ALEXA, NO_IFTTT, NO_MOBILE));

        assertThat(clients.all()).isEmpty();
        assertThat(clients.serves("alexa-smart-home")).isFalse();
    }

    @Test
    void derivesAmazonsThreeRedirectUrisAndIftttsFromTheirIds() {
        OAuthClients clients = new OAuthClients(settings(NO_WEB,
                new OAuthSettings.Alexa("alexa-smart-home", "M2ABC", SECRET, true, null),
                new OAuthSettings.Ifttt("ifttt-service", "my_service", SECRET, null), NO_MOBILE));

        assertThat(clients.find("alexa-smart-home").orElseThrow().redirectUris()).containsExactly(
                "https://pitangui.amazon.com/api/skill/link/M2ABC",
                "https://layla.amazon.com/api/skill/link/M2ABC",
                "https://alexa.amazon.co.jp/api/skill/link/M2ABC");
        assertThat(clients.find("ifttt-service").orElseThrow().redirectUris())
                .containsExactly("https://ifttt.com/channels/my_service/authorize");
        assertThat(clients.find("alexa-smart-home").orElseThrow().refreshTokenLifetime()).isNull();
    }

    @Test
    void refusesRedirectUrisThatAreNotExactHttpsUrls() {
        for (String uri : List.of("http://app.example.test/cb", "https://app.example.test/cb#x",
                "https://user@app.example.test/cb", "/relative/cb", "io.virtdevice.app:/cb", "not a uri")) {
            assertThatThrownBy(() -> new OAuthClients(settings(web(uri), NO_ALEXA, NO_IFTTT, NO_MOBILE)))
                    .as(uri)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("redirect-uris");
        }
        assertThat(new OAuthClients(settings(web("http://localhost:3000/cb"), NO_ALEXA, NO_IFTTT, NO_MOBILE)).all())
                .hasSize(1);
    }

    @Test
    void letsOnlyTheMobileAppUseAPrivateUseScheme() {
        OAuthClients clients = new OAuthClients(settings(NO_WEB, NO_ALEXA, NO_IFTTT,
                new OAuthSettings.Mobile("virtdevice-mobile", List.of("io.virtdevice.app:/oauth2redirect"), null)));

        assertThat(clients.find("virtdevice-mobile").orElseThrow().type().isPublic()).isTrue();
        assertThat(clients.find("virtdevice-mobile").orElseThrow().requirePkce()).isTrue();
        assertThatThrownBy(() -> new OAuthClients(settings(NO_WEB, NO_ALEXA, NO_IFTTT,
                new OAuthSettings.Mobile("virtdevice-mobile", List.of("myapp:/cb"), null))))
                .hasMessageContaining("private-use scheme");
    }

    @Test
    void refusesWeakSecretsUnknownScopesAndBadLifetimes() {
        assertThatThrownBy(() -> new OAuthClients(settings(NO_WEB,
                new OAuthSettings.Alexa("alexa-smart-home", "M2ABC", "short", false, null), NO_IFTTT, NO_MOBILE)))
                .hasMessageContaining("client-secret");
        assertThatThrownBy(() -> new OAuthClients(settings(NO_WEB, NO_ALEXA,
                new OAuthSettings.Ifttt("ifttt-service", "svc", SECRET, List.of("read", "admin")), NO_MOBILE)))
                .hasMessageContaining("scopes");
        assertThatThrownBy(() -> new OAuthClients(settings(NO_WEB,
                new OAuthSettings.Alexa("alexa-smart-home", "M2-ABC!", SECRET, false, null), NO_IFTTT, NO_MOBILE)))
                .hasMessageContaining("vendor-id");
        assertThatThrownBy(() -> new OAuthClients(new OAuthSettings(Duration.ofMinutes(5), Duration.ofDays(30),
                Duration.ofHours(24), Duration.ofSeconds(10), Duration.ofSeconds(5),
                new OAuthSettings.Clients(NO_WEB, NO_ALEXA, NO_IFTTT, NO_MOBILE), null)))
                .hasMessageContaining("access-token-lifetime");
    }

    @Test
    void refusesTheSameClientIdTwice() {
        assertThatThrownBy(() -> new OAuthClients(settings(web("https://app.example.test/cb"),
                new OAuthSettings.Alexa("virtdevice-web", "M2ABC", SECRET, false, null), NO_IFTTT, NO_MOBILE)))
                .hasMessageContaining("configured twice");
    }
}
