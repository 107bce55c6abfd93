package io.virtdevice.oauth;

import static io.virtdevice.oauth.OAuthFlow.ALEXA;
import static io.virtdevice.oauth.OAuthFlow.ALEXA_NA;
import static io.virtdevice.oauth.OAuthFlow.IFTTT;
import static io.virtdevice.oauth.OAuthFlow.request;
import static io.virtdevice.oauth.OAuthFlow.state;
import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * Redirect URIs match exactly (RFC 9700 §2.1); anything else is an error page and never a redirect
 * (RFC 6749 §4.1.2.1), before and after sign-in.
 */
@IntegrationTest
class RedirectUriTests {

    static final String[] NEAR_MISSES = {
        ALEXA_NA + "/",                                                         // trailing slash
        "https://PITANGUI.amazon.com/api/skill/link/M2TESTVENDOR",              // host case
        "https://pitangui.amazon.com/api/skill/link/m2testvendor",              // path case
        "https://pitangui.amazon.com/api/skill/link/M2TESTVENDOR/extra",        // extra path
        "https://pitangui.amazon.com/api/skill/link/M2TESTVENDOR/../M2TESTVENDOR",
        ALEXA_NA + "?next=https://evil.example.test",                           // extra query
        ALEXA_NA + "#fragment",                                                 // fragment
        "https://evil.example.test@pitangui.amazon.com/api/skill/link/M2TESTVENDOR", // userinfo
        "https://pitangui.amazon.com@evil.example.test/api/skill/link/M2TESTVENDOR", // userinfo, other host
        "https://pitangui.amazon.com.evil.example.test/api/skill/link/M2TESTVENDOR", // look-alike host
        "https://pitangui-amazon.com/api/skill/link/M2TESTVENDOR",              // look-alike host
        "https://pitangui.amazon.com:8443/api/skill/link/M2TESTVENDOR",         // port
        "http://pitangui.amazon.com/api/skill/link/M2TESTVENDOR",               // scheme
        "https://pitangui.amazon.com/api/skill/link/OTHERVENDOR",               // another skill
        "https://ifttt.com/channels/virtdevice_test/authorize",                 // another client's URI
        "https://127.0.0.1/api/skill/link/M2TESTVENDOR",                        // loopback
        " " + ALEXA_NA,                                                         // whitespace
    };

    @LocalServerPort
    int port;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    @ParameterizedTest
    @ValueSource(strings = {
        ALEXA_NA + "/",
        "https://PITANGUI.amazon.com/api/skill/link/M2TESTVENDOR",
        "https://pitangui.amazon.com/api/skill/link/m2testvendor",
        "https://pitangui.amazon.com/api/skill/link/M2TESTVENDOR/extra",
        "https://pitangui.amazon.com/api/skill/link/M2TESTVENDOR/../M2TESTVENDOR",
        ALEXA_NA + "?next=https://evil.example.test",
        ALEXA_NA + "#fragment",
        "https://evil.example.test@pitangui.amazon.com/api/skill/link/M2TESTVENDOR",
        "https://pitangui.amazon.com@evil.example.test/api/skill/link/M2TESTVENDOR",
        "https://pitangui.amazon.com.evil.example.test/api/skill/link/M2TESTVENDOR",
        "https://pitangui-amazon.com/api/skill/link/M2TESTVENDOR",
        "https://pitangui.amazon.com:8443/api/skill/link/M2TESTVENDOR",
        "http://pitangui.amazon.com/api/skill/link/M2TESTVENDOR",
        "https://pitangui.amazon.com/api/skill/link/OTHERVENDOR",
        "https://ifttt.com/channels/virtdevice_test/authorize",
        "https://127.0.0.1/api/skill/link/M2TESTVENDOR",
        " https://pitangui.amazon.com/api/skill/link/M2TESTVENDOR",
    })
    void refusesANearMissWithoutRedirectingBeforeSignIn(String redirectUri) {
        Api.Response response = new OAuthFlow(port).authorize(new OAuthFlow(port).browser(),
                request(ALEXA, redirectUri, "read", state(), null));

        assertRefusedWithoutRedirect(response);
    }

    @Test
    void refusesEveryNearMissWithoutRedirectingAfterSignInToo() {
        OAuthFlow flow = new OAuthFlow(port);
        Api browser = flow.browser();
        String email = new Fixtures(dataSource, hasher).owner().email();
        flow.signInThrough(browser, request(ALEXA, ALEXA_NA, "read", state(), null), email);

        for (String nearMiss : NEAR_MISSES) {
            assertRefusedWithoutRedirect(flow.authorize(browser, request(ALEXA, nearMiss, "read", state(), null)));
        }
    }

    @Test
    void refusesAMissingRedirectUriWhenTheClientHasSeveral() {
        assertRefusedWithoutRedirect(new OAuthFlow(port).authorize(new OAuthFlow(port).browser(),
                request(ALEXA, null, "read", state(), null)));
    }

    @Test
    void refusesAnUnknownClientWithoutRedirecting() {
        assertRefusedWithoutRedirect(new OAuthFlow(port).authorize(new OAuthFlow(port).browser(),
                request("evil-client", ALEXA_NA, "read", state(), null)));
        assertRefusedWithoutRedirect(new OAuthFlow(port).authorize(new OAuthFlow(port).browser(),
                request(IFTTT, "https://ifttt.com/channels/other_service/authorize", "ifttt", state(), null)));
    }

    @Test
    void refusesARepeatedRedirectUriWithoutRedirecting() {
        Api.Response response = new OAuthFlow(port).browser().send("GET", "/oauth2/authorize?response_type=code&client_id="
                        + ALEXA + "&redirect_uri=" + ALEXA_NA + "&redirect_uri=https://evil.example.test/cb",
                null, Map.of("Accept", "text/html"));

        assertRefusedWithoutRedirect(response);
    }

    private static void assertRefusedWithoutRedirect(Api.Response response) {
        assertThat(response.status()).as(response.toString()).isEqualTo(400);
        assertThat(response.header("Location")).isNull();
        assertThat(response.header("X-Frame-Options")).isEqualTo("DENY");
        assertThat(response.body()).contains("not valid");
    }
}
