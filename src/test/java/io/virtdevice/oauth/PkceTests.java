package io.virtdevice.oauth;

import static io.virtdevice.oauth.OAuthFlow.ALEXA;
import static io.virtdevice.oauth.OAuthFlow.ALEXA_NA;
import static io.virtdevice.oauth.OAuthFlow.MOBILE;
import static io.virtdevice.oauth.OAuthFlow.MOBILE_REDIRECT;
import static io.virtdevice.oauth.OAuthFlow.WEB;
import static io.virtdevice.oauth.OAuthFlow.WEB_REDIRECT;
import static io.virtdevice.oauth.OAuthFlow.request;
import static io.virtdevice.oauth.OAuthFlow.state;
import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * PKCE (RFC 7636, RFC 9700 §2.1.1): S256 only; required for the public mobile client (and the web client by
 * configuration); verified whenever a challenge was sent; a verifier without a challenge is refused.
 */
@IntegrationTest
class PkceTests {

    @LocalServerPort
    int port;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    OAuthFlow flow;
    String email;

    @BeforeEach
    void setUp() {
        flow = new OAuthFlow(port);
        email = new Fixtures(dataSource, hasher).owner().email();
    }

    @Test
    void requiresAChallengeFromTheMobileApp() {
        String state = state();

        Map<String, String> back = OAuthFlow.redirectParameters(
                flow.authorize(flow.browser(), request(MOBILE, MOBILE_REDIRECT, "read", state, null)), MOBILE_REDIRECT);

        assertThat(back).containsEntry("error", "invalid_request").containsEntry("state", state).doesNotContainKey("code");
    }

    @Test
    void requiresAChallengeFromTheWebClient() {
        Map<String, String> back = OAuthFlow.redirectParameters(
                flow.authorize(flow.browser(), request(WEB, WEB_REDIRECT, "read", state(), null)), WEB_REDIRECT);

        assertThat(back).containsEntry("error", "invalid_request");
    }

    @Test
    void refusesThePlainMethod() {
        Map<String, String> params = request(ALEXA, ALEXA_NA, "read", state(), null);
        params.put("code_challenge", "a-plain-challenge-that-is-long-enough-0123456789");
        params.put("code_challenge_method", "plain");

        Map<String, String> back = OAuthFlow.redirectParameters(flow.authorize(flow.browser(), params), ALEXA_NA);

        assertThat(back).containsEntry("error", "invalid_request").doesNotContainKey("code");
    }

    @Test
    void refusesAChallengeWithoutAMethod() {
        Map<String, String> params = request(ALEXA, ALEXA_NA, "read", state(), null);
        params.put("code_challenge", OAuthFlow.Pkce.create().challenge());

        Map<String, String> back = OAuthFlow.redirectParameters(flow.authorize(flow.browser(), params), ALEXA_NA);

        assertThat(back).containsEntry("error", "invalid_request");
    }

    @Test
    void refusesAWrongOrMissingVerifierFromThePublicClient() {
        OAuthFlow.Pkce pkce = OAuthFlow.Pkce.create();
        String code = flow.code(flow.browser(), request(MOBILE, MOBILE_REDIRECT, "read", state(), pkce), email);

        Api.Response wrong = flow.redeem(MOBILE, code, MOBILE_REDIRECT, OAuthFlow.Pkce.create());
        Api.Response missing = flow.redeem(MOBILE, code, MOBILE_REDIRECT, null);

        assertThat(wrong.json().path("error").asString()).isEqualTo("invalid_grant");
        // without a verifier the public client cannot even authenticate
        assertThat(missing.json().path("error").asString()).isIn("invalid_grant", "invalid_client");
        assertThat(flow.redeem(MOBILE, code, MOBILE_REDIRECT, pkce).status()).isEqualTo(200);
    }

    @Test
    void refusesAMalformedVerifierEvenWhenItsHashMatches() {
        for (String verifier : new String[] {"a".repeat(42), "b".repeat(129), "c".repeat(42) + "+"}) {
            OAuthFlow.Pkce pkce = OAuthFlow.Pkce.of(verifier);
            String code = flow.code(flow.browser(), request(MOBILE, MOBILE_REDIRECT, "read", state(), pkce), email);

            Api.Response response = flow.redeem(MOBILE, code, MOBILE_REDIRECT, pkce);

            assertThat(response.status()).as(verifier.length() + " characters").isEqualTo(400);
            assertThat(response.json().path("error").asString()).isEqualTo("invalid_grant");
            assertThat(response.header("Cache-Control")).isEqualTo("no-store");
        }
        OAuthFlow.Pkce longest = OAuthFlow.Pkce.of("d".repeat(128));
        String code = flow.code(flow.browser(), request(MOBILE, MOBILE_REDIRECT, "read", state(), longest), email);
        assertThat(flow.redeem(MOBILE, code, MOBILE_REDIRECT, longest).status()).isEqualTo(200);
    }

    @Test
    void verifiesTheChallengeAConfidentialClientChoseToSend() {
        OAuthFlow.Pkce pkce = OAuthFlow.Pkce.create();
        String code = flow.code(flow.browser(), request(ALEXA, ALEXA_NA, "read", state(), pkce), email);

        assertThat(flow.redeem(ALEXA, code, ALEXA_NA, null).json().path("error").asString()).isEqualTo("invalid_grant");
        assertThat(flow.redeem(ALEXA, code, ALEXA_NA, OAuthFlow.Pkce.create()).json().path("error").asString())
                .isEqualTo("invalid_grant");
        assertThat(flow.redeem(ALEXA, code, ALEXA_NA, pkce).status()).isEqualTo(200);
    }

    @Test
    void refusesAVerifierWhenNoChallengeWasSent() {
        // the downgrade defence (RFC 9700 §4.8.2): a verifier for a code issued without a challenge
        String code = flow.code(flow.browser(), request(ALEXA, ALEXA_NA, "read", state(), null), email);

        Api.Response response = flow.redeem(ALEXA, code, ALEXA_NA, OAuthFlow.Pkce.create());

        assertThat(response.json().path("error").asString()).isEqualTo("invalid_grant");
    }

    @Test
    void letsAlexaLinkWithoutPkceWhileItIsNotRequiredForIt() {
        String code = flow.code(flow.browser(), request(ALEXA, ALEXA_NA, "read", state(), null), email);

        assertThat(flow.redeem(ALEXA, code, ALEXA_NA, null).status()).isEqualTo(200);
    }
}
