package io.virtdevice.oauth;

import static io.virtdevice.oauth.OAuthFlow.ALEXA;
import static io.virtdevice.oauth.OAuthFlow.ALEXA_EU;
import static io.virtdevice.oauth.OAuthFlow.ALEXA_FE;
import static io.virtdevice.oauth.OAuthFlow.ALEXA_NA;
import static io.virtdevice.oauth.OAuthFlow.IFTTT;
import static io.virtdevice.oauth.OAuthFlow.IFTTT_REDIRECT;
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
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * The whole authorization-code flow over real HTTP for every kind of client: the authorization request,
 * our login form, the consent page, the redirect back with code and state, the token exchange, an API call
 * with the access token, a refresh, a revocation, and the API refusing the revoked token.
 */
@IntegrationTest
class AuthorizationFlowTests {

    @LocalServerPort
    int port;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    OAuthFlow flow;
    Fixtures fixtures;

    @BeforeEach
    void setUp() {
        flow = new OAuthFlow(port);
        fixtures = new Fixtures(dataSource, hasher);
    }

    @Test
    void linksTheWebClientWithPkceAndHttpBasicThenRefreshesAndRevokes() {
        Fixtures.TestUser user = fixtures.owner();
        OAuthFlow.Pkce pkce = OAuthFlow.Pkce.create();
        String state = state();
        Api browser = flow.browser();

        Api.Response consentRedirect = flow.signInThrough(browser, request(WEB, WEB_REDIRECT, "read write", state, pkce),
                user.email());
        Api.Response page = flow.consentPage(browser, consentRedirect);
        assertThat(page.body()).contains("VirtDevice web", "See your devices", "Control your devices",
                "Remember this decision", user.email());
        Map<String, String> back = OAuthFlow.redirectParameters(
                flow.submitConsent(browser, page, List.of("read", "write"), false, false), WEB_REDIRECT);
        assertThat(back).containsEntry("state", state).containsKey("code");

        Api.Response exchanged = flow.redeem(WEB, back.get("code"), WEB_REDIRECT, pkce);
        OAuthFlow.Tokens tokens = OAuthFlow.tokens(exchanged);
        assertThat(exchanged.header("Cache-Control")).contains("no-store");
        assertThat(tokens.accessToken()).matches("vda_[A-Za-z0-9_-]{43}");
        assertThat(tokens.refreshToken()).matches("vdrt_[A-Za-z0-9_-]{43}");
        assertThat(tokens.scope().split(" ")).containsExactlyInAnyOrder("read", "write");
        assertThat(tokens.expiresIn()).isBetween(3500L, 3600L);

        Api api = new Api(port).bearer(tokens.accessToken());
        assertThat(api.get("/api/v1/devices").status()).isEqualTo(200);
        Api.Response created = api.post("/api/v1/devices", Map.of("name", "Porch light", "type", "switch"));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);

        Api.Response refreshed = flow.refresh(WEB, tokens.refreshToken());
        OAuthFlow.Tokens next = OAuthFlow.tokens(refreshed);
        assertThat(refreshed.header("Cache-Control")).contains("no-store");
        assertThat(next.refreshToken()).isNotEqualTo(tokens.refreshToken());
        assertThat(new Api(port).bearer(next.accessToken()).get("/api/v1/devices").json().path("items").size())
                .isOne();

        Api.Response revoked = flow.revoke(WEB, next.refreshToken());
        assertThat(revoked.status()).isEqualTo(200);
        Api.Response refused = new Api(port).bearer(next.accessToken()).get("/api/v1/devices");
        assertThat(refused.status()).isEqualTo(401);
        assertThat(flow.refresh(WEB, next.refreshToken()).json().path("error").asString()).isEqualTo("invalid_grant");
    }

    @Test
    void linksAlexaThroughItsEuropeanRedirectWithHttpBasic() {
        Fixtures.TestUser user = fixtures.owner();
        String state = state();
        Api browser = flow.browser();

        String code = flow.code(browser, request(ALEXA, ALEXA_EU, "read write", state, null), user.email());
        OAuthFlow.Tokens tokens = OAuthFlow.tokens(flow.redeem(ALEXA, code, ALEXA_EU, null));

        // Alexa needs at least 6 minutes of access-token life (expires_in >= 360)
        assertThat(tokens.expiresIn()).isGreaterThanOrEqualTo(360);
        assertThat(tokens.refreshToken()).startsWith("vdrt_");
        assertThat(flow.use(ALEXA, tokens.accessToken())).isEqualTo(200);
        OAuthFlow.Tokens next = OAuthFlow.tokens(flow.refresh(ALEXA, tokens.refreshToken()));
        assertThat(flow.use(ALEXA, next.accessToken())).isEqualTo(200);
        assertThat(flow.revoke(ALEXA, next.accessToken()).status()).isEqualTo(200);
        assertThat(flow.use(ALEXA, next.accessToken())).isEqualTo(401);
        assertThat(flow.refresh(ALEXA, next.refreshToken()).status()).isEqualTo(400);
    }

    @ParameterizedTest
    @ValueSource(strings = {ALEXA_NA, ALEXA_EU, ALEXA_FE})
    void acceptsEachOfAmazonsThreeRedirectUris(String redirectUri) {
        Fixtures.TestUser user = fixtures.owner();
        String state = state();

        Api.Response consentRedirect = flow.signInThrough(flow.browser(), request(ALEXA, redirectUri, "read", state, null),
                user.email());

        assertThat(consentRedirect.header("Location")).contains("/oauth2/consent?");
    }

    @Test
    void linksIftttWithItsIftttScopeAndCredentialsInTheBody() {
        Fixtures.TestUser user = fixtures.owner();
        String state = state();
        Api browser = flow.browser();

        Api.Response consentRedirect = flow.signInThrough(browser, request(IFTTT, IFTTT_REDIRECT, "ifttt", state, null),
                user.email());
        Api.Response page = flow.consentPage(browser, consentRedirect);
        assertThat(page.body()).contains("IFTTT", "See your devices", "Control your devices");
        Map<String, String> back = OAuthFlow.redirectParameters(
                flow.submitConsent(browser, page, List.of("read", "write"), false, false), IFTTT_REDIRECT);
        assertThat(back).containsEntry("state", state);

        OAuthFlow.Tokens tokens = OAuthFlow.tokens(flow.redeem(IFTTT, back.get("code"), IFTTT_REDIRECT, null));
        assertThat(tokens.scope().split(" ")).containsExactlyInAnyOrder("read", "write");
        assertThat(flow.use(IFTTT, tokens.accessToken())).isEqualTo(200);
        // IFTTT's token is for IFTTT's endpoints only, never the REST API
        assertThat(new Api(port).bearer(tokens.accessToken()).get("/api/v1/devices").status()).isEqualTo(401);

        OAuthFlow.Tokens next = OAuthFlow.tokens(flow.refresh(IFTTT, tokens.refreshToken()));
        assertThat(flow.revoke(IFTTT, next.refreshToken()).status()).isEqualTo(200);
        assertThat(flow.use(IFTTT, next.accessToken())).isEqualTo(401);
    }

    @Test
    void linksTheMobileAppAsAPublicClientWithPkceAndNarrowsItToItsScopes() {
        Fixtures.TestUser user = fixtures.owner();
        OAuthFlow.Pkce pkce = OAuthFlow.Pkce.create();
        String state = state();
        Api browser = flow.browser();

        // the mobile client may only read (test configuration): "write" is dropped before the consent page
        Api.Response consentRedirect = flow.signInThrough(browser,
                request(MOBILE, MOBILE_REDIRECT, "read write", state, pkce), user.email());
        Api.Response page = flow.consentPage(browser, consentRedirect);
        assertThat(page.body()).contains("VirtDevice mobile app", "See your devices").doesNotContain("Control your devices");
        Map<String, String> back = OAuthFlow.redirectParameters(
                flow.submitConsent(browser, page, List.of("read"), false, false), MOBILE_REDIRECT);

        OAuthFlow.Tokens tokens = OAuthFlow.tokens(flow.redeem(MOBILE, back.get("code"), MOBILE_REDIRECT, pkce));
        assertThat(tokens.scope()).isEqualTo("read");
        Api api = new Api(port).bearer(tokens.accessToken());
        assertThat(api.get("/api/v1/devices").status()).isEqualTo(200);
        assertThat(api.post("/api/v1/devices", Map.of("name", "Lamp", "type", "switch")).status()).isEqualTo(403);

        OAuthFlow.Tokens next = OAuthFlow.tokens(flow.refresh(MOBILE, tokens.refreshToken()));
        assertThat(next.refreshToken()).isNotEqualTo(tokens.refreshToken());
        assertThat(flow.revoke(MOBILE, next.refreshToken()).status()).isEqualTo(200);
        assertThat(new Api(port).bearer(next.accessToken()).get("/api/v1/devices").status()).isEqualTo(401);
    }

    @Test
    void issuesOnlyTheScopesTheUserConsentedTo() {
        Fixtures.TestUser user = fixtures.owner();
        Api browser = flow.browser();
        OAuthFlow.Pkce pkce = OAuthFlow.Pkce.create();
        Map<String, String> request = request(WEB, WEB_REDIRECT, "read write", state(), pkce);

        Api.Response back = flow.consent(browser, flow.signInThrough(browser, request, user.email()), List.of("read"), false);
        String code = OAuthFlow.redirectParameters(back, WEB_REDIRECT).get("code");
        OAuthFlow.Tokens tokens = OAuthFlow.tokens(flow.redeem(WEB, code, WEB_REDIRECT, pkce));

        assertThat(tokens.scope()).isEqualTo("read");
        Api api = new Api(port).bearer(tokens.accessToken());
        assertThat(api.get("/api/v1/devices").status()).isEqualTo(200);
        assertThat(api.post("/api/v1/devices", Map.of("name", "Lamp", "type", "switch")).status()).isEqualTo(403);
    }

    @Test
    void skipsTheConsentPageOnlyOnceTheDecisionIsRemembered() {
        Fixtures.TestUser user = fixtures.owner();
        Api browser = flow.browser();

        // approved without "remember": the next request asks again
        Api.Response first = flow.signInThrough(browser, request(ALEXA, ALEXA_NA, "read write", state(), null), user.email());
        flow.consent(browser, first, List.of("read", "write"), false);
        Api.Response second = flow.authorize(browser, request(ALEXA, ALEXA_NA, "read write", state(), null));
        assertThat(second.header("Location")).contains("/oauth2/consent?");

        // approved with "remember": the next request goes straight back to Alexa with a code
        flow.consent(browser, second, List.of("read", "write"), true);
        String state = state();
        Map<String, String> third = OAuthFlow.redirectParameters(
                flow.authorize(browser, request(ALEXA, ALEXA_NA, "read write", state, null)), ALEXA_NA);
        assertThat(third).containsEntry("state", state).containsKey("code");
        assertThat(OAuthFlow.tokens(flow.redeem(ALEXA, third.get("code"), ALEXA_NA, null)).scope().split(" "))
                .containsExactlyInAnyOrder("read", "write");
    }

    @Test
    void sendsTheUserBackWithAccessDeniedWhenTheyDeny() {
        Fixtures.TestUser user = fixtures.owner();
        Api browser = flow.browser();
        String state = state();

        Api.Response page = flow.consentPage(browser,
                flow.signInThrough(browser, request(IFTTT, IFTTT_REDIRECT, "ifttt", state, null), user.email()));
        Map<String, String> back = OAuthFlow.redirectParameters(
                flow.submitConsent(browser, page, List.of("read", "write"), true, true), IFTTT_REDIRECT);

        assertThat(back).containsEntry("error", "access_denied").containsEntry("state", state).doesNotContainKey("code");
    }

    @Test
    void refusesAConsentWithoutTheFormsCsrfToken() {
        Fixtures.TestUser user = fixtures.owner();
        Api browser = flow.browser();
        Api.Response page = flow.consentPage(browser,
                flow.signInThrough(browser, request(ALEXA, ALEXA_NA, "read", state(), null), user.email()));

        // no _csrf field, and no XSRF-TOKEN cookie to echo as a header
        browser.cookies().remove("XSRF-TOKEN");
        String form = OAuthFlow.encode(Map.of("client_id", ALEXA, "state", OAuthFlow.hidden(page, "state"), "scope", "read"));
        Api.Response forged = browser.send("POST", "/oauth2/authorize", form,
                Map.of("Content-Type", "application/x-www-form-urlencoded", "Accept", "text/html"));

        assertThat(forged.status()).isEqualTo(403);
        assertThat(forged.header("Location")).isNull();
    }

    @Test
    void keepsTheLoginAndConsentPagesOutOfFrames() {
        Fixtures.TestUser user = fixtures.owner();
        Api browser = flow.browser();
        Api.Response consentRedirect = flow.signInThrough(browser, request(ALEXA, ALEXA_NA, "read", state(), null),
                user.email());
        Api.Response consent = flow.consentPage(browser, consentRedirect);
        Api.Response login = flow.get(flow.browser(), "/login");

        for (Api.Response page : List.of(login, consent)) {
            assertThat(page.header("X-Frame-Options")).isEqualTo("DENY");
            assertThat(page.header("Content-Security-Policy")).contains("frame-ancestors 'none'");
            assertThat(page.body()).contains("name=\"_csrf\"");
        }
    }

    @Test
    void redirectsAnonymousBrowsersToTheLoginPageAndOtherCallersGetA401() {
        Map<String, String> request = request(ALEXA, ALEXA_NA, "read", state(), null);

        Api.Response browser = flow.authorize(flow.browser(), request);
        Api.Response machine = new Api(port).get("/oauth2/authorize?" + OAuthFlow.query(request));

        assertThat(browser.status()).isEqualTo(302);
        assertThat(browser.header("Location")).endsWith("/login");
        assertThat(machine.status()).isEqualTo(401);
    }

    @Test
    void publishesMetadataWhoseIssuerIsThePublicBaseUrl() {
        Api.Response metadata = new Api(port).get("/.well-known/oauth-authorization-server");

        assertThat(metadata.status()).isEqualTo(200);
        var json = metadata.json();
        assertThat(json.path("issuer").asString()).isEqualTo("http://localhost:8080");
        assertThat(json.path("authorization_endpoint").asString()).isEqualTo("http://localhost:8080/oauth2/authorize");
        assertThat(json.path("token_endpoint").asString()).isEqualTo("http://localhost:8080/oauth2/token");
        assertThat(json.path("revocation_endpoint").asString()).isEqualTo("http://localhost:8080/oauth2/revoke");
        assertThat(strings(json.path("response_types_supported"))).containsExactly("code");
        assertThat(strings(json.path("grant_types_supported"))).containsExactly("authorization_code", "refresh_token");
        assertThat(strings(json.path("code_challenge_methods_supported"))).containsExactly("S256");
        assertThat(strings(json.path("token_endpoint_auth_methods_supported")))
                .contains("client_secret_basic", "client_secret_post");
        assertThat(json.has("jwks_uri")).isFalse();
    }

    private static List<String> strings(tools.jackson.databind.JsonNode array) {
        List<String> values = new java.util.ArrayList<>();
        array.forEach(n -> values.add(n.asString()));
        return values;
    }
}
