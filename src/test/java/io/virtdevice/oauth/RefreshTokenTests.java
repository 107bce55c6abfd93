package io.virtdevice.oauth;

import static io.virtdevice.oauth.OAuthFlow.ALEXA;
import static io.virtdevice.oauth.OAuthFlow.IFTTT;
import static io.virtdevice.oauth.OAuthFlow.MOBILE;
import static io.virtdevice.oauth.OAuthFlow.WEB;
import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TestDatabase;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;

/**
 * Refresh tokens: web and mobile rotate strictly and a reused token revokes the whole family (RFC 9700
 * §4.14.2), except that the token rotated moments ago may be presented again within the short race window
 * (two refreshes racing); Alexa's and IFTTT's never expire and the previous token keeps working for the
 * grace period, because both platforms require it.
 */
@IntegrationTest
class RefreshTokenTests {

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

    private int api(String client, String accessToken) {
        return flow.use(client, accessToken);
    }

    /** Two refreshes with the same token, released at the same moment. */
    private List<Api.Response> twoConcurrentRefreshes(String clientId, String refreshToken) throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Api.Response>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
            for (int i = 0; i < 2; i++) {
                results.add(pool.submit(() -> {
                    start.await();
                    return flow.refresh(clientId, refreshToken);
                }));
            }
            start.countDown();
        }
        List<Api.Response> responses = new ArrayList<>();
        for (Future<Api.Response> f : results) {
            responses.add(f.get());
        }
        return responses;
    }

    @ParameterizedTest
    @ValueSource(strings = {WEB, MOBILE})
    void revokesTheWholeFamilyWhenARotatedRefreshTokenIsUsedAgain(String client) {
        OAuthFlow.Tokens first = flow.link(client, "read", fixtures.owner().email());
        OAuthFlow.Tokens second = OAuthFlow.tokens(flow.refresh(client, first.refreshToken()));
        OAuthFlow.Tokens third = OAuthFlow.tokens(flow.refresh(client, second.refreshToken()));
        assertThat(api(client, third.accessToken())).isEqualTo(200);

        Api.Response replay = flow.refresh(client, first.refreshToken());

        assertThat(replay.status()).isEqualTo(400);
        assertThat(replay.json().path("error").asString()).isEqualTo("invalid_grant");
        // the legitimate holder of the newest tokens loses them too: nobody knows who the thief was
        assertThat(flow.refresh(client, third.refreshToken()).json().path("error").asString()).isEqualTo("invalid_grant");
        assertThat(api(client, third.accessToken())).isEqualTo(401);
    }

    @ParameterizedTest
    @ValueSource(strings = {ALEXA, IFTTT})
    void keepsThePreviousRefreshTokenWorkingDuringTheGracePeriod(String client) {
        OAuthFlow.Tokens first = flow.link(client, "read write", fixtures.owner().email());
        OAuthFlow.Tokens second = OAuthFlow.tokens(flow.refresh(client, first.refreshToken()));

        // e.g. Alexa never received the answer and retries with the token it has
        OAuthFlow.Tokens retried = OAuthFlow.tokens(flow.refresh(client, first.refreshToken()));

        assertThat(retried.refreshToken()).isNotEqualTo(second.refreshToken());
        assertThat(api(client, retried.accessToken())).isEqualTo(200);
        assertThat(api(client, second.accessToken())).isEqualTo(200);
        assertThat(OAuthFlow.tokens(flow.refresh(client, retried.refreshToken())).scope().split(" "))
                .containsExactlyInAnyOrder("read", "write");
    }

    @Test
    void treatsAPreviousAlexaRefreshTokenAsReusedOnceTheGracePeriodIsOver() {
        OAuthFlow.Tokens first = flow.link(ALEXA, "read", fixtures.owner().email());
        OAuthFlow.Tokens second = OAuthFlow.tokens(flow.refresh(ALEXA, first.refreshToken()));
        TestDatabase.of(context).superuser().sql("""
                        update oauth_tokens set rotated_at = now() - interval '25 hours'
                         where refresh_token_hash = sha256(convert_to(:token, 'UTF8'))
                        """).param("token", first.refreshToken()).update();

        assertThat(flow.refresh(ALEXA, first.refreshToken()).json().path("error").asString()).isEqualTo("invalid_grant");
        assertThat(flow.refresh(ALEXA, second.refreshToken()).status()).isEqualTo(400);
        assertThat(api(ALEXA, second.accessToken())).isEqualTo(401);
    }

    @ParameterizedTest
    @ValueSource(strings = {ALEXA, IFTTT})
    void givesAlexaAndIftttRefreshTokensWithoutExpiry(String client) {
        OAuthFlow.Tokens tokens = flow.link(client, "read", fixtures.owner().email());
        OAuthFlow.Tokens next = OAuthFlow.tokens(flow.refresh(client, tokens.refreshToken()));

        long expiring = TestDatabase.of(context).superuser().sql("""
                        select count(*) from oauth_tokens
                         where refresh_token_hash in (sha256(convert_to(:a, 'UTF8')), sha256(convert_to(:b, 'UTF8')))
                           and refresh_token_expires_at is not null
                        """).param("a", tokens.refreshToken()).param("b", next.refreshToken()).query(Long.class).single();
        assertThat(expiring).isZero();
    }

    @Test
    void givesWebRefreshTokensAnExpiry() {
        OAuthFlow.Tokens tokens = flow.link(WEB, "read", fixtures.owner().email());

        Boolean thirtyDays = TestDatabase.of(context).superuser().sql("""
                        select refresh_token_expires_at between now() + interval '29 days' and now() + interval '31 days'
                          from oauth_tokens where refresh_token_hash = sha256(convert_to(:t, 'UTF8'))
                        """).param("t", tokens.refreshToken()).query(Boolean.class).single();
        assertThat(thirtyDays).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {WEB, MOBILE})
    void answersTwoConcurrentRefreshesOfTheAppWithoutLoggingItOut(String client) throws Exception {
        OAuthFlow.Tokens tokens = flow.link(client, "read", fixtures.owner().email());

        List<Api.Response> responses = twoConcurrentRefreshes(client, tokens.refreshToken());

        // both get a fresh pair of the same grant (RFC 9700 §4.14.2 allows a short grace for races)
        for (Api.Response response : responses) {
            OAuthFlow.Tokens pair = OAuthFlow.tokens(response);
            assertThat(api(client, pair.accessToken())).isEqualTo(200);
        }
        // whichever pair the app kept goes on working
        OAuthFlow.Tokens kept = OAuthFlow.tokens(responses.get(1));
        OAuthFlow.Tokens next = OAuthFlow.tokens(flow.refresh(client, kept.refreshToken()));
        assertThat(api(client, next.accessToken())).isEqualTo(200);
        assertThat(familyRevoked(tokens.refreshToken())).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {WEB, MOBILE})
    void answersARepeatedRefreshWithTheJustRotatedTokenWithinTheRaceWindow(String client) {
        OAuthFlow.Tokens first = flow.link(client, "read", fixtures.owner().email());
        OAuthFlow.Tokens second = OAuthFlow.tokens(flow.refresh(client, first.refreshToken()));

        // the app did not get the answer (or a second request of it raced): it refreshes again with the old token
        OAuthFlow.Tokens again = OAuthFlow.tokens(flow.refresh(client, first.refreshToken()));

        assertThat(again.refreshToken()).isNotEqualTo(second.refreshToken());
        assertThat(api(client, again.accessToken())).isEqualTo(200);
        assertThat(api(client, second.accessToken())).isEqualTo(200);
        assertThat(familyRevoked(first.refreshToken())).isFalse();
        // once one of the two pairs is used to refresh, the other one's refresh token is spent
        OAuthFlow.Tokens third = OAuthFlow.tokens(flow.refresh(client, again.refreshToken()));
        assertThat(api(client, third.accessToken())).isEqualTo(200);
    }

    @ParameterizedTest
    @ValueSource(strings = {WEB, MOBILE})
    void treatsTheJustRotatedTokenAsReusedOnceTheRaceWindowIsOver(String client) {
        OAuthFlow.Tokens first = flow.link(client, "read", fixtures.owner().email());
        OAuthFlow.Tokens second = OAuthFlow.tokens(flow.refresh(client, first.refreshToken()));
        TestDatabase.of(context).superuser().sql("""
                        update oauth_tokens set rotated_at = now() - interval '1 minute'
                         where refresh_token_hash = sha256(convert_to(:token, 'UTF8'))
                        """).param("token", first.refreshToken()).update();

        Api.Response replay = flow.refresh(client, first.refreshToken());

        assertThat(replay.json().path("error").asString()).isEqualTo("invalid_grant");
        assertThat(flow.refresh(client, second.refreshToken()).json().path("error").asString()).isEqualTo("invalid_grant");
        assertThat(api(client, second.accessToken())).isEqualTo(401);
        assertThat(familyRevoked(first.refreshToken())).isTrue();
    }

    private boolean familyRevoked(String refreshToken) {
        return TestDatabase.of(context).superuser().sql("""
                        select a.revoked_at is not null from oauth_authorizations a
                          join oauth_tokens t on t.family_id = a.id
                         where t.refresh_token_hash = sha256(convert_to(:token, 'UTF8'))
                        """).param("token", refreshToken).query(Boolean.class).single();
    }

    @Test
    void letsTwoConcurrentAlexaRefreshesBothSucceed() throws Exception {
        OAuthFlow.Tokens tokens = flow.link(ALEXA, "read", fixtures.owner().email());

        for (Api.Response response : twoConcurrentRefreshes(ALEXA, tokens.refreshToken())) {
            assertThat(api(ALEXA, OAuthFlow.tokens(response).accessToken())).isEqualTo(200);
        }
    }

    @Test
    void refusesAnExpiredWebRefreshToken() {
        OAuthFlow.Tokens tokens = flow.link(WEB, "read", fixtures.owner().email());
        TestDatabase.of(context).superuser().sql("""
                        update oauth_tokens set refresh_token_expires_at = now() - interval '1 second'
                         where refresh_token_hash = sha256(convert_to(:t, 'UTF8'))
                        """).param("t", tokens.refreshToken()).update();

        assertThat(flow.refresh(WEB, tokens.refreshToken()).json().path("error").asString()).isEqualTo("invalid_grant");
    }
}
