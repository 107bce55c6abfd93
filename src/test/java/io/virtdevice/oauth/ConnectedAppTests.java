package io.virtdevice.oauth;

import static io.virtdevice.oauth.OAuthFlow.ALEXA;
import static io.virtdevice.oauth.OAuthFlow.ALEXA_NA;
import static io.virtdevice.oauth.OAuthFlow.IFTTT;
import static io.virtdevice.oauth.OAuthFlow.MOBILE;
import static io.virtdevice.oauth.OAuthFlow.WEB;
import static io.virtdevice.oauth.OAuthFlow.request;
import static io.virtdevice.oauth.OAuthFlow.state;
import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.SseClient;
import io.virtdevice.testing.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import tools.jackson.databind.JsonNode;

/** The connected-apps list, disconnecting, and revocation on password change. */
@IntegrationTest
class ConnectedAppTests {

    @LocalServerPort
    int port;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    @Autowired
    ApplicationContext context;

    OAuthFlow flow;
    Fixtures.TestUser user;
    Api session;

    @BeforeEach
    void setUp() {
        flow = new OAuthFlow(port);
        user = new Fixtures(dataSource, hasher).owner();
        session = new Api(port).withCsrf();
        Api.Response login = session.post("/api/v1/auth/login", Map.of("email", user.email(), "password", Fixtures.PASSWORD));
        assertThat(login.status()).as(login.toString()).isEqualTo(200);
    }

    private JsonNode apps() {
        Api.Response response = session.get("/api/v1/account/connected-apps");
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        return response.json().path("items");
    }

    private JsonNode app(String clientId) {
        for (JsonNode app : apps()) {
            if (app.path("clientId").asString().equals(clientId)) {
                return app;
            }
        }
        return null;
    }

    @Test
    void listsEachLinkedAppWithWhenItWasLinkedAndLastUsed() {
        Instant before = Instant.now().minusSeconds(5);
        assertThat(apps()).isEmpty();
        OAuthFlow.Tokens alexa = flow.link(ALEXA, "read write", user.email());
        flow.link(IFTTT, "ifttt", user.email());
        assertThat(flow.use(ALEXA, alexa.accessToken())).isEqualTo(200);

        assertThat(apps()).hasSize(2);
        JsonNode linked = app(ALEXA);
        assertThat(linked.path("name").asString()).isEqualTo("Amazon Alexa");
        assertThat(linked.path("type").asString()).isEqualTo("alexa");
        assertThat(linked.path("scopes").toString()).isEqualTo("[\"read\",\"write\"]");
        assertThat(Instant.parse(linked.path("linkedAt").asString())).isAfter(before);
        assertThat(Instant.parse(linked.path("lastUsedAt").asString())).isAfter(before);
        assertThat(app(IFTTT).path("name").asString()).isEqualTo("IFTTT");
        assertThat(app(IFTTT).path("lastUsedAt").isNull()).isTrue();
    }

    @Test
    void disconnectingAnAppRevokesItsTokensAndForgetsTheConsent() {
        Api browser = flow.browser();
        Api.Response consentRedirect = flow.signInThrough(browser, request(ALEXA, ALEXA_NA, "read", state(), null),
                user.email());
        String code = OAuthFlow.redirectParameters(flow.consent(browser, consentRedirect, List.of("read"), true), ALEXA_NA)
                .get("code");
        OAuthFlow.Tokens alexa = OAuthFlow.tokens(flow.redeem(ALEXA, code, ALEXA_NA, null));
        OAuthFlow.Tokens ifttt = flow.link(IFTTT, "ifttt", user.email());

        Api.Response disconnected = session.delete("/api/v1/account/connected-apps/" + ALEXA);

        assertThat(disconnected.status()).isEqualTo(204);
        assertThat(flow.use(ALEXA, alexa.accessToken())).isEqualTo(401);
        assertThat(flow.refresh(ALEXA, alexa.refreshToken()).json().path("error").asString()).isEqualTo("invalid_grant");
        assertThat(app(ALEXA)).isNull();
        assertThat(flow.use(IFTTT, ifttt.accessToken())).isEqualTo(200);
        // the remembered decision went with it: linking again asks again
        assertThat(flow.authorize(browser, request(ALEXA, ALEXA_NA, "read", state(), null)).header("Location"))
                .contains("/oauth2/consent?");
        assertThat(session.delete("/api/v1/account/connected-apps/" + ALEXA).status()).isEqualTo(404);
        assertThat(session.delete("/api/v1/account/connected-apps/no-such-client").status()).isEqualTo(404);
        assertThat(session.get("/api/v1/activity").body()).contains("oauth_app_connected", "oauth_app_disconnected");
    }

    @Test
    void listsAndDisconnectsAnAppLinkedTwiceWithDifferentScopes() {
        OAuthFlow.Tokens readOnly = flow.link(ALEXA, "read", user.email());
        OAuthFlow.Tokens readWrite = flow.link(ALEXA, "read write", user.email());
        flow.link(IFTTT, "read", user.email());

        JsonNode linked = app(ALEXA);
        assertThat(linked).isNotNull();
        assertThat(linked.path("scopes").toString()).isEqualTo("[\"read\",\"write\"]");
        assertThat(apps()).hasSize(2);

        assertThat(session.delete("/api/v1/account/connected-apps/" + ALEXA).status()).isEqualTo(204);
        assertThat(app(ALEXA)).isNull();
        assertThat(flow.use(ALEXA, readOnly.accessToken())).isEqualTo(401);
        assertThat(flow.use(ALEXA, readWrite.accessToken())).isEqualTo(401);
    }

    @Test
    void cannotDisconnectAnotherUsersApp() {
        OAuthFlow.Tokens others = flow.link(ALEXA, "read", new Fixtures(dataSource, hasher).owner().email());

        assertThat(session.delete("/api/v1/account/connected-apps/" + ALEXA).status()).isEqualTo(404);
        assertThat(flow.use(ALEXA, others.accessToken())).isEqualTo(200);
    }

    @Test
    void keepsConnectedAppsOutOfReachOfBearerTokens() {
        OAuthFlow.Tokens web = flow.link(WEB, "read write", user.email());
        OAuthFlow.Tokens alexa = flow.link(ALEXA, "read write", user.email());

        Api bearer = new Api(port).bearer(web.accessToken());
        assertThat(bearer.get("/api/v1/account/connected-apps").status()).isEqualTo(403);
        assertThat(bearer.delete("/api/v1/account/connected-apps/" + ALEXA).status()).isEqualTo(403);
        assertThat(bearer.get("/api/v1/api-keys").status()).isEqualTo(403);
        // Alexa's token is not even a credential on the REST API
        assertThat(new Api(port).bearer(alexa.accessToken()).delete("/api/v1/account/connected-apps/" + ALEXA).status())
                .isEqualTo(401);
    }

    @Test
    void aPasswordChangeRevokesTheWebAndMobileAppsButNotAlexaOrIfttt() {
        OAuthFlow.Tokens web = flow.link(WEB, "read", user.email());
        OAuthFlow.Tokens mobile = flow.link(MOBILE, "read", user.email());
        OAuthFlow.Tokens alexa = flow.link(ALEXA, "read", user.email());
        OAuthFlow.Tokens ifttt = flow.link(IFTTT, "read", user.email());

        Api.Response changed = session.put("/api/v1/account/password",
                Map.of("currentPassword", Fixtures.PASSWORD, "newPassword", "a completely new passphrase 7"));
        assertThat(changed.status()).as(changed.toString()).isEqualTo(204);

        assertThat(flow.refresh(WEB, web.refreshToken()).json().path("error").asString()).isEqualTo("invalid_grant");
        assertThat(flow.refresh(MOBILE, mobile.refreshToken()).json().path("error").asString()).isEqualTo("invalid_grant");
        assertThat(new Api(port).bearer(web.accessToken()).get("/api/v1/devices").status()).isEqualTo(401);
        assertThat(flow.refresh(ALEXA, alexa.refreshToken()).status()).isEqualTo(200);
        assertThat(flow.refresh(IFTTT, ifttt.refreshToken()).status()).isEqualTo(200);
        long revoked = TestDatabase.of(context).superuser().sql("""
                        select count(*) from oauth_authorizations where user_id = :u and revoked_at is not null
                        """).param("u", user.userId()).query(Long.class).single();
        assertThat(revoked).isEqualTo(2);
    }

    @Test
    void aPasswordChangeClosesTheLiveStreamsOfTheSessionsAndOfTheRevokedAppsButNotOfApiKeys() {
        OAuthFlow.Tokens web = flow.link(WEB, "read", user.email());
        String cookies = String.join("; ", session.cookies().entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue()).toList());
        String base = "http://127.0.0.1:" + port;
        try (SseClient bySession = SseClient.open(base + "/api/v1/events/stream", Map.of("Cookie", cookies));
                SseClient byWebApp = SseClient.open(base, web.accessToken());
                SseClient byKey = SseClient.open(base, user.apiKey())) {
            assertThat(List.of(bySession.status(), byWebApp.status(), byKey.status())).containsOnly(200);

            Api.Response changed = session.put("/api/v1/account/password",
                    Map.of("currentPassword", Fixtures.PASSWORD, "newPassword", "a completely new passphrase 8"));
            assertThat(changed.status()).as(changed.toString()).isEqualTo(204);

            assertThat(bySession.awaitEnd(Duration.ofSeconds(10))).as("the session's stream closed").isTrue();
            assertThat(byWebApp.awaitEnd(Duration.ofSeconds(10))).as("the web app's stream closed").isTrue();
            assertThat(byKey.awaitEnd(Duration.ofMillis(500))).as("the API key's stream stays open").isFalse();
        }
    }
}
