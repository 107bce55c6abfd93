package io.virtdevice.oauth;

import static io.virtdevice.oauth.OAuthFlow.WEB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TestDatabase;
import java.time.Duration;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;

/**
 * Access tokens on the API's hot path: a revocation made elsewhere (another instance, straight in the
 * database) still takes effect within seconds. What a validation costs with and without the cache is
 * measured by bench/token-cache.sh, not here.
 */
@IntegrationTest
class BearerTokenValidationTests {

    @LocalServerPort
    int port;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    @Autowired
    ApplicationContext context;

    @Autowired
    OAuthAccessTokenAuthenticator authenticator;

    @Autowired
    OAuthManagement oauth;

    Fixtures.TestUser user;
    OAuthFlow.Tokens tokens;

    @BeforeEach
    void setUp() {
        user = new Fixtures(dataSource, hasher).owner();
        tokens = new OAuthFlow(port).link(WEB, "read write", user.email());
    }

    @Test
    void stopsAcceptingATokenRevokedElsewhereWithinTheCacheLifetime() {
        Api api = new Api(port).bearer(tokens.accessToken());
        assertThat(api.get("/api/v1/devices").status()).isEqualTo(200);

        // as another instance would: straight in the database, so this instance's cache is not told
        TestDatabase.of(context).superuser().sql("""
                        update oauth_tokens set revoked_at = now() where access_token_hash = sha256(convert_to(:t, 'UTF8'))
                        """).param("t", tokens.accessToken()).update();
        await("the revocation took effect").atMost(Duration.ofSeconds(7)).pollInterval(Duration.ofMillis(200))
                .until(() -> api.get("/api/v1/devices").status() == 401);
    }

    @Test
    void refusesUnknownMalformedAndExpiredTokens() {
        assertThat(new Api(port).bearer("vda_" + "A".repeat(43)).get("/api/v1/devices").status()).isEqualTo(401);
        assertThat(new Api(port).bearer("vda_" + "A".repeat(600)).get("/api/v1/devices").status()).isEqualTo(401);
        assertThat(new Api(port).bearer(tokens.refreshToken()).get("/api/v1/devices").status()).isEqualTo(401);

        TestDatabase.of(context).superuser().sql("""
                        update oauth_tokens set access_token_expires_at = now() - interval '1 second'
                         where access_token_hash = sha256(convert_to(:t, 'UTF8'))
                        """).param("t", tokens.accessToken()).update();
        authenticator.clear();

        assertThat(new Api(port).bearer(tokens.accessToken()).get("/api/v1/devices").status()).isEqualTo(401);
        // the protocol endpoints can still tell "expired" from "invalid" (Alexa answers them differently)
        OAuthManagement.AccessToken expired = oauth.accessToken(tokens.accessToken()).orElseThrow();
        assertThat(expired.expired()).isTrue();
        assertThat(expired.user().userId()).isEqualTo(user.userId());
        assertThat(expired.clientType()).isEqualTo(OAuthClientType.WEB);
        assertThat(oauth.accessToken("vda_nope")).isEmpty();
    }

    @Test
    void actsAsTheTokensUserWithTheTokensScopesOnly() {
        Api api = new Api(port).bearer(tokens.accessToken());
        assertThat(api.post("/api/v1/devices", java.util.Map.of("name", "Desk lamp", "type", "switch")).status())
                .isEqualTo(201);

        assertThat(new Api(port).bearer(user.apiKey()).get("/api/v1/devices").json().path("items").get(0)
                .path("name").asString()).isEqualTo("Desk lamp");
        assertThat(new Api(port).bearer(new Fixtures(dataSource, hasher).owner().apiKey()).get("/api/v1/devices")
                .json().path("items").size()).isZero();
    }
}
