package io.virtdevice.oauth;

import static io.virtdevice.oauth.OAuthFlow.ALEXA;
import static io.virtdevice.oauth.OAuthFlow.ALEXA_EU;
import static io.virtdevice.oauth.OAuthFlow.ALEXA_FE;
import static io.virtdevice.oauth.OAuthFlow.ALEXA_NA;
import static io.virtdevice.oauth.OAuthFlow.request;
import static io.virtdevice.oauth.OAuthFlow.state;
import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/**
 * Account linking as the Alexa app does it (shared/spec/alexa.md §8): the authorization-code grant with PKCE
 * S256 from each regional redirect URI, the token endpoint with the client authenticated by HTTP Basic
 * ({@code accessTokenScheme HTTP_BASIC}) or by the credentials in the body ({@code REQUEST_BODY_CREDENTIALS}),
 * access tokens living at least 360 s, refreshes that tolerate a retried rotation, and the resulting token
 * driving a real directive. How fast the token endpoint answers is measured in bench/alexa-token-endpoint.sh.
 */
@IntegrationTest
class AlexaAccountLinkingTests {

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
    void linksWithPkceAndHttpBasicFromEachRegion() {
        for (String redirect : List.of(ALEXA_NA, ALEXA_EU, ALEXA_FE)) {
            OAuthFlow.Pkce pkce = OAuthFlow.Pkce.create();
            String code = code(redirect, pkce);

            OAuthFlow.Tokens tokens = OAuthFlow.tokens(flow.redeem(ALEXA, code, redirect, pkce));

            assertAlexaTokens(tokens);
            assertThat(discover(tokens.accessToken())).isEqualTo("Discover.Response");
        }
    }

    @Test
    void linksWithPkceAndTheCredentialsInTheBody() {
        OAuthFlow.Pkce pkce = OAuthFlow.Pkce.create();
        String code = code(ALEXA_NA, pkce);
        OAuthFlow.Tokens tokens = OAuthFlow.tokens(flow.post("/oauth2/token",
                inBody(redemption(code, pkce), IntegrationTest.ALEXA_CLIENT_SECRET)));

        assertAlexaTokens(tokens);
        assertThat(discover(tokens.accessToken())).isEqualTo("Discover.Response");
    }

    @Test
    void refusesTheCodeWithoutTheVerifierOrWithAWrongSecretInEitherPlace() {
        OAuthFlow.Pkce pkce = OAuthFlow.Pkce.create();
        String code = code(ALEXA_NA, pkce);
        String wrong = "wrong-" + IntegrationTest.ALEXA_CLIENT_SECRET;

        assertThat(flow.basic("/oauth2/token", ALEXA, wrong, redemption(code, pkce)).status()).isEqualTo(401);
        assertThat(flow.post("/oauth2/token", inBody(redemption(code, pkce), wrong)).status()).isEqualTo(401);
        // nor without the verifier of the challenge it was issued for
        assertThat(flow.redeem(ALEXA, code, ALEXA_NA, null).json().path("error").asString()).isEqualTo("invalid_grant");
    }

    @Test
    void refreshesWithEitherClientAuthenticationAndToleratesARetriedRotation() {
        OAuthFlow.Pkce pkce = OAuthFlow.Pkce.create();
        OAuthFlow.Tokens linked = OAuthFlow.tokens(flow.redeem(ALEXA, code(ALEXA_NA, pkce), ALEXA_NA, pkce));

        OAuthFlow.Tokens byBasic = OAuthFlow.tokens(flow.refresh(ALEXA, linked.refreshToken()));
        assertAlexaTokens(byBasic);
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "refresh_token");
        form.put("refresh_token", byBasic.refreshToken());
        OAuthFlow.Tokens byBody = OAuthFlow.tokens(flow.post("/oauth2/token",
                inBody(form, IntegrationTest.ALEXA_CLIENT_SECRET)));
        assertAlexaTokens(byBody);
        // Alexa retrying with the refresh token it sent last time (its answer was lost) still gets tokens
        OAuthFlow.Tokens retried = OAuthFlow.tokens(flow.refresh(ALEXA, byBasic.refreshToken()));
        assertAlexaTokens(retried);
        assertThat(discover(retried.accessToken())).isEqualTo("Discover.Response");
        assertThat(discover(byBody.accessToken())).isEqualTo("Discover.Response");
    }

    // ------------------------------------------------------------------------------------------------------

    /** The browser part as the Alexa app drives it: client_id, response_type, state, scope, redirect_uri, PKCE. */
    private String code(String redirect, OAuthFlow.Pkce pkce) {
        return flow.code(flow.browser(), request(ALEXA, redirect, "read write", state(), pkce), email);
    }

    private static Map<String, String> redemption(String code, OAuthFlow.Pkce pkce) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "authorization_code");
        form.put("code", code);
        form.put("redirect_uri", ALEXA_NA);
        form.put("code_verifier", pkce.verifier());
        return form;
    }

    /** The form with Alexa's credentials in the body ({@code REQUEST_BODY_CREDENTIALS}). */
    private static Map<String, String> inBody(Map<String, String> form, String secret) {
        Map<String, String> body = new LinkedHashMap<>(form);
        body.put("client_id", ALEXA);
        body.put("client_secret", secret);
        return body;
    }

    private static void assertAlexaTokens(OAuthFlow.Tokens tokens) {
        assertThat(tokens.accessToken()).isNotBlank();
        assertThat(tokens.refreshToken()).isNotBlank();
        // Alexa needs at least 6 minutes (spec §8)
        assertThat(tokens.expiresIn()).isGreaterThanOrEqualTo(360);
        assertThat(tokens.scope().split(" ")).containsExactlyInAnyOrder("read", "write");
    }

    /** A real Discover directive with the token in payload.scope; the answer's header name. */
    private String discover(String token) {
        Map<String, Object> directive = Map.of("directive", Map.of(
                "header", Map.of("namespace", "Alexa.Discovery", "name", "Discover", "payloadVersion", "3",
                        "messageId", UUID.randomUUID().toString()),
                "payload", Map.of("scope", Map.of("type", "BearerToken", "token", token))));
        Api.Response response = new Api(port).post("/alexa/v3/directives", directive);
        assertThat(response.status()).isEqualTo(200);
        JsonNode header = response.json().path("event").path("header");
        return header.path("name").asString();
    }
}
