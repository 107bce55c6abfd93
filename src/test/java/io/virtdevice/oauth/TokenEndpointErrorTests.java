package io.virtdevice.oauth;

import static io.virtdevice.oauth.OAuthFlow.ALEXA;
import static io.virtdevice.oauth.OAuthFlow.ALEXA_EU;
import static io.virtdevice.oauth.OAuthFlow.ALEXA_NA;
import static io.virtdevice.oauth.OAuthFlow.IFTTT;
import static io.virtdevice.oauth.OAuthFlow.IFTTT_REDIRECT;
import static io.virtdevice.oauth.OAuthFlow.WEB;
import static io.virtdevice.oauth.OAuthFlow.request;
import static io.virtdevice.oauth.OAuthFlow.state;
import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TestDatabase;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;

/** Every error code of RFC 6749 §5.2 from the token endpoint, each for the reason the RFC gives. */
@IntegrationTest
class TokenEndpointErrorTests {

    @LocalServerPort
    int port;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    @Autowired
    ApplicationContext context;

    OAuthFlow flow;
    Fixtures fixtures;

    @BeforeEach
    void setUp() {
        flow = new OAuthFlow(port);
        fixtures = new Fixtures(dataSource, hasher);
    }

    private String alexaCode(String redirectUri) {
        return flow.code(flow.browser(), request(ALEXA, redirectUri, "read write", state(), null), fixtures.owner().email());
    }

    private static void assertError(Api.Response response, int status, String error) {
        assertThat(response.status()).as(response.toString()).isEqualTo(status);
        assertThat(response.json().path("error").asString()).as(response.toString()).isEqualTo(error);
        assertThat(response.header("Cache-Control")).contains("no-store");
    }

    @Test
    void answersInvalidRequestForAMissingOrRepeatedParameter() {
        Api.Response noCode = flow.basic("/oauth2/token", ALEXA, OAuthFlow.SECRETS.get(ALEXA),
                Map.of("grant_type", "authorization_code", "redirect_uri", ALEXA_NA));
        Api.Response twoGrantTypes = new Api(port).send("POST", "/oauth2/token",
                        "grant_type=authorization_code&grant_type=refresh_token&code=x&client_id=" + IFTTT
                                + "&client_secret=" + OAuthFlow.SECRETS.get(IFTTT),
                        Map.of("Content-Type", "application/x-www-form-urlencoded", "Accept", "application/json"));

        assertError(noCode, 400, "invalid_request");
        assertError(twoGrantTypes, 400, "invalid_request");
    }

    @Test
    void answersInvalidClientForAWrongSecretAnUnknownClientOrAnotherClientsSecret() {
        String code = alexaCode(ALEXA_NA);
        Map<String, String> form = Map.of("grant_type", "authorization_code", "code", code, "redirect_uri", ALEXA_NA);

        assertError(flow.basic("/oauth2/token", ALEXA, "wrong-secret-0123456789abcdef0123456789", form), 401,
                "invalid_client");
        assertError(flow.basic("/oauth2/token", "no-such-client", "whatever-0123456789abcdef0123456789", form), 401,
                "invalid_client");
        assertError(flow.basic("/oauth2/token", ALEXA, OAuthFlow.SECRETS.get(IFTTT), form), 401, "invalid_client");
        // a confidential client cannot fall back to the public-client path by leaving its secret out
        Map<String, String> noSecret = new LinkedHashMap<>(form);
        noSecret.put("client_id", ALEXA);
        assertError(flow.post("/oauth2/token", noSecret), 401, "invalid_client");
        // none of those burnt the code: the real client still redeems it
        assertThat(flow.redeem(ALEXA, code, ALEXA_NA, null).status()).isEqualTo(200);
    }

    @Test
    void answersInvalidGrantForAnUnknownCodeOrAMismatchedRedirectUri() {
        String code = alexaCode(ALEXA_NA);

        assertError(flow.redeem(ALEXA, "not-a-code", ALEXA_NA, null), 400, "invalid_grant");
        assertError(flow.redeem(ALEXA, code, ALEXA_EU, null), 400, "invalid_grant");
        assertError(flow.redeem(ALEXA, code, null, null), 400, "invalid_grant");
        assertError(flow.refresh(ALEXA, "vdrt_not-a-refresh-token"), 400, "invalid_grant");
    }

    @Test
    void answersInvalidGrantForAnExpiredCode() {
        String code = alexaCode(ALEXA_NA);
        TestDatabase.of(context).superuser().sql("""
                        update oauth_authorizations
                           set code_issued_at = now() - interval '6 minutes', code_expires_at = now() - interval '1 minute'
                         where code_hash = sha256(convert_to(:code, 'UTF8'))
                        """).param("code", code).update();

        assertError(flow.redeem(ALEXA, code, ALEXA_NA, null), 400, "invalid_grant");
    }

    @Test
    void answersInvalidGrantToAnotherClientAndBurnsTheCode() {
        String code = alexaCode(ALEXA_NA);
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "authorization_code");
        form.put("code", code);
        form.put("redirect_uri", ALEXA_NA);
        form.put("client_id", IFTTT);
        form.put("client_secret", OAuthFlow.SECRETS.get(IFTTT));

        assertError(flow.post("/oauth2/token", form), 400, "invalid_grant");
        assertError(flow.redeem(ALEXA, code, ALEXA_NA, null), 400, "invalid_grant");
    }

    @Test
    void answersInvalidGrantToARefreshTokenOfAnotherClient() {
        OAuthFlow.Tokens alexa = flow.link(ALEXA, "read write", fixtures.owner().email());

        assertError(flow.refresh(IFTTT, alexa.refreshToken()), 400, "invalid_grant");
        assertThat(flow.refresh(ALEXA, alexa.refreshToken()).status()).isEqualTo(200);
    }

    @Test
    void answersUnauthorizedClientForAGrantTheClientMayNotUse() {
        Api.Response response = flow.basic("/oauth2/token", ALEXA, OAuthFlow.SECRETS.get(ALEXA),
                Map.of("grant_type", "client_credentials", "scope", "read"));

        assertError(response, 400, "unauthorized_client");
    }

    @Test
    void answersUnsupportedGrantTypeForPasswordImplicitAndUnknownGrants() {
        for (String grant : new String[] {"password", "implicit", "urn:ietf:params:oauth:grant-type:device_code",
                "urn:ietf:params:oauth:grant-type:token-exchange", "made_up"}) {
            Map<String, String> form = new LinkedHashMap<>();
            form.put("grant_type", grant);
            form.put("username", "someone@example.test");
            form.put("password", Fixtures.PASSWORD);
            form.put("device_code", "x");
            assertError(flow.basic("/oauth2/token", WEB, OAuthFlow.SECRETS.get(WEB), form), 400, "unsupported_grant_type");
        }
    }

    @Test
    void answersInvalidScopeWhenARefreshAsksForMoreThanWasGranted() {
        Fixtures.TestUser user = fixtures.owner();
        Api browser = flow.browser();
        Api.Response back = flow.consent(browser,
                flow.signInThrough(browser, request(IFTTT, IFTTT_REDIRECT, "read write", state(), null), user.email()),
                java.util.List.of("read"), false);
        String code = OAuthFlow.redirectParameters(back, IFTTT_REDIRECT).get("code");
        OAuthFlow.Tokens tokens = OAuthFlow.tokens(flow.redeem(IFTTT, code, IFTTT_REDIRECT, null));

        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "refresh_token");
        form.put("refresh_token", tokens.refreshToken());
        form.put("scope", "read write");
        assertError(flow.clientCall("/oauth2/token", IFTTT, form), 400, "invalid_scope");
        form.put("scope", "read");
        assertThat(OAuthFlow.tokens(flow.clientCall("/oauth2/token", IFTTT, form)).scope()).isEqualTo("read");
    }

    @Test
    void answersInvalidScopeAtTheAuthorizationEndpointForAnUnknownScope() {
        String state = state();
        Map<String, String> back = OAuthFlow.redirectParameters(
                flow.authorize(flow.browser(), request(ALEXA, ALEXA_NA, "read admin", state, null)), ALEXA_NA);

        assertThat(back).containsEntry("error", "invalid_scope").containsEntry("state", state);
    }

    @Test
    void refusesTheImplicitFlowWithoutRedirecting() {
        Map<String, String> params = request(ALEXA, ALEXA_NA, "read", state(), null);
        params.put("response_type", "token");

        Api.Response response = flow.authorize(flow.browser(), params);

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.header("Location")).isNull();
    }

    @Test
    void neverEchoesATokenInAnError() {
        OAuthFlow.Tokens tokens = flow.link(ALEXA, "read", fixtures.owner().email());

        Api.Response response = flow.refresh(IFTTT, tokens.refreshToken());

        assertThat(response.body()).doesNotContain(tokens.refreshToken()).doesNotContain(tokens.accessToken());
    }

    @Test
    void answersRevocationOfAnUnknownTokenWith200() {
        assertThat(flow.revoke(ALEXA, "vda_no-such-token-0123456789abcdefghijklmnopqrstuvw").status()).isEqualTo(200);
        assertThat(flow.revoke(ALEXA, "garbage").status()).isEqualTo(200);
    }

    @Test
    void refusesToRevokeAnotherClientsToken() {
        OAuthFlow.Tokens alexa = flow.link(ALEXA, "read", fixtures.owner().email());

        Api.Response response = flow.revoke(IFTTT, alexa.accessToken());

        assertThat(response.status()).isIn(400, 401);
        assertThat(response.json().path("error").asString()).isEqualTo("invalid_client");
        assertThat(flow.use(ALEXA, alexa.accessToken())).isEqualTo(200);
    }

    @Test
    void letsAClientIntrospectOnlyItsOwnTokens() {
        OAuthFlow.Tokens alexa = flow.link(ALEXA, "read", fixtures.owner().email());

        Api.Response own = flow.basic("/oauth2/introspect", ALEXA, OAuthFlow.SECRETS.get(ALEXA),
                Map.of("token", alexa.accessToken()));
        Api.Response foreign = flow.clientCall("/oauth2/introspect", IFTTT, Map.of("token", alexa.accessToken()));

        assertThat(own.json().path("active").asBoolean()).isTrue();
        assertThat(own.json().path("client_id").asString()).isEqualTo(ALEXA);
        assertThat(foreign.status()).isEqualTo(200);
        assertThat(foreign.json().path("active").asBoolean()).isFalse();
        assertThat(foreign.body()).doesNotContain("alexa");
    }
}
