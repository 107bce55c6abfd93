package io.virtdevice.alexa;

import static io.virtdevice.oauth.OAuthFlow.ALEXA;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.virtdevice.oauth.OAuthFlow;
import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TestDatabase;
import io.virtdevice.testing.fakes.FakeLoginWithAmazon;
import io.virtdevice.testing.fakes.FakeLoginWithAmazon.Failure;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The {@link AlexaLinks} bean the proactive-event sender uses (shared/spec/alexa.md §5, §10 checks 20-21): a
 * link made by a real AcceptGrant over HTTP, LWA played by {@link FakeLoginWithAmazon} (which flags a refresh
 * with a rotated-away refresh token or any wrong field), token expiry moved in the database.
 */
@IntegrationTest
class AlexaLinksTests {

    @LocalServerPort
    int port;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    @Autowired
    ApplicationContext context;

    @Autowired
    FakeLoginWithAmazon lwa;

    @Autowired
    AlexaLinks links;

    Fixtures.TestUser user;
    FakeLoginWithAmazon.Grant grant;
    JdbcClient superuser;

    @BeforeEach
    void setUp() {
        user = new Fixtures(dataSource, hasher).owner();
        String token = new OAuthFlow(port).link(ALEXA, "read write", user.email()).accessToken();
        grant = lwa.issueCode();
        AcceptGrants.accept(port, grant.code(), token, "EU");
        superuser = TestDatabase.of(context).superuser();
    }

    @AfterEach
    void noProtocolProblems() {
        assertThat(lwa.problems()).as("what the fake LWA received").isEmpty();
    }

    @Test
    void doesNotRefreshWhileMoreThanFiveMinutesRemain() {
        expiresIn(Duration.ofSeconds(320));

        LwaToken token = links.token(user.context()).orElseThrow();

        assertThat(token.accessToken()).isEqualTo(grant.accessToken());
        assertThat(token.region()).isEqualTo(AlexaRegion.EU);
        assertThat(grant.requests("refresh_token")).isEmpty();
    }

    @Test
    void refreshesWhenFewerRemainAndKeepsTheRotatedRefreshToken() {
        String first = grant.accessToken();
        expiresIn(Duration.ofSeconds(290));

        LwaToken refreshed = links.token(user.context()).orElseThrow();

        assertThat(refreshed.accessToken()).isNotEqualTo(first).isEqualTo(grant.accessToken());
        assertThat(refreshed.expiresAt()).isCloseTo(Instant.now().plusSeconds(3600), within(30, ChronoUnit.SECONDS));
        assertThat(grant.requests("refresh_token")).hasSize(1);
        assertThat(grant.requests("refresh_token").getFirst().form()).containsOnlyKeys("grant_type", "refresh_token",
                "client_id", "client_secret").containsEntry("client_id", FakeLoginWithAmazon.CLIENT_ID);
        AlexaLinkState state = links.state(user.context()).orElseThrow();
        assertThat(state.lastRefreshAt()).isNotNull();
        assertThat(state.accessTokenExpiresAt()).isAfter(Instant.now().plusSeconds(3000));

        // the next refresh presents the rotated refresh token (the fake flags the old one as a problem)
        expiresIn(Duration.ofSeconds(10));
        assertThat(links.token(user.context()).orElseThrow().accessToken()).isEqualTo(grant.accessToken());
        assertThat(grant.requests("refresh_token")).hasSize(2);
        assertThat(grant.requests("refresh_token").get(1).form().get("refresh_token"))
                .isNotEqualTo(grant.requests("refresh_token").get(0).form().get("refresh_token"));
    }

    @Test
    void concurrentCallersShareOneRefresh() throws Exception {
        grant.latency(Duration.ofMillis(300));
        expiresIn(Duration.ofSeconds(60));

        List<Optional<LwaToken>> results = concurrently(16, () -> links.token(user.context()));

        assertThat(grant.requests("refresh_token")).hasSize(1);
        assertThat(results).allSatisfy(t -> assertThat(t.orElseThrow().accessToken()).isEqualTo(grant.accessToken()));
    }

    @Test
    void invalidGrantRevokesTheLinkAndDeletesItsTokens() {
        grant.revoke();
        expiresIn(Duration.ofSeconds(60));

        assertThat(links.token(user.context())).isEmpty();

        AlexaLinkState state = links.state(user.context()).orElseThrow();
        assertThat(state.status()).isEqualTo("revoked");
        assertThat(state.statusReason()).contains("invalid_grant");
        assertThat(state.accessTokenExpiresAt()).isNull();
        assertThat(tokensStored()).isFalse();
        assertThat(activity()).contains("alexa_link_revoked");
        // revoked stays revoked: no more calls to LWA
        assertThat(links.token(user.context())).isEmpty();
        assertThat(grant.requests("refresh_token")).hasSize(1);
    }

    @Test
    void aTransientFailureKeepsTheLinkAndItsTokenAndRetriesLater() {
        String current = grant.accessToken();
        grant.failNext(Failure.SERVER_ERROR);
        expiresIn(Duration.ofSeconds(60));

        assertThat(links.token(user.context()).orElseThrow().accessToken()).isEqualTo(current);
        // within the retry delay: the same token, no second call
        assertThat(links.token(user.context()).orElseThrow().accessToken()).isEqualTo(current);
        assertThat(grant.requests("refresh_token")).hasSize(1);
        assertThat(links.state(user.context()).orElseThrow().status()).isEqualTo("active");

        superuser.sql("update alexa_lwa_tokens set refresh_retry_at = now() - interval '1 second' where user_id = :u")
                .param("u", user.userId()).update();
        assertThat(links.token(user.context()).orElseThrow().accessToken()).isNotEqualTo(current)
                .isEqualTo(grant.accessToken());
        assertThat(grant.requests("refresh_token")).hasSize(2);
    }

    @Test
    void anExpiredTokenWhoseRefreshTimesOutGivesNothingButKeepsTheLink() {
        grant.failNext(Failure.SLOW);
        expiresIn(Duration.ofSeconds(-5));

        assertThat(links.token(user.context())).isEmpty();
        assertThat(links.state(user.context()).orElseThrow().status()).isEqualTo("active");
    }

    @Test
    void lwaRefusingTheSkillsOwnCredentialsDoesNotRevokeTheUsersLink() {
        grant.failNext(Failure.INVALID_CLIENT);
        expiresIn(Duration.ofSeconds(60));

        assertThat(links.token(user.context()).orElseThrow().accessToken()).isEqualTo(grant.accessToken());
        assertThat(links.state(user.context()).orElseThrow().status()).isEqualTo("active");
    }

    @Test
    void aRejectedTokenIsRefreshedOnceWhoeverAsks() throws Exception {
        String rejected = grant.accessToken();
        grant.latency(Duration.ofMillis(200));

        List<Optional<LwaToken>> results = concurrently(6, () -> links.refreshAfterRejection(user.context(), rejected));

        assertThat(grant.requests("refresh_token")).hasSize(1);
        assertThat(results).allSatisfy(t -> assertThat(t.orElseThrow().accessToken()).isEqualTo(grant.accessToken())
                .isNotEqualTo(rejected));
        // a late report of the same rejection gets the new token without another refresh
        assertThat(links.refreshAfterRejection(user.context(), rejected).orElseThrow().accessToken())
                .isEqualTo(grant.accessToken());
        assertThat(grant.requests("refresh_token")).hasSize(1);
    }

    @Test
    void aRejectedTokenWhoseRefreshIsRefusedRevokesTheLink() {
        grant.failNext(Failure.INVALID_GRANT);

        assertThat(links.refreshAfterRejection(user.context(), grant.accessToken())).isEmpty();

        assertThat(links.state(user.context()).orElseThrow().status()).isEqualTo("revoked");
    }

    @Test
    void markUnauthorizedStopsTheTokensUntilTheNextGrant() {
        links.markUnauthorized(user.context(), "401 INVALID_ACCESS_TOKEN_EXCEPTION twice");

        assertThat(links.token(user.context())).isEmpty();
        AlexaLinkState state = links.state(user.context()).orElseThrow();
        assertThat(state.status()).isEqualTo("unauthorized");
        assertThat(state.statusReason()).isEqualTo("401 INVALID_ACCESS_TOKEN_EXCEPTION twice");
        assertThat(state.statusChangedAt()).isCloseTo(Instant.now(), within(30, ChronoUnit.SECONDS));
        assertThat(activity()).contains("alexa_link_unauthorized");
        assertThat(grant.requests("refresh_token")).isEmpty();
    }

    @Test
    void markRevokedDeletesTheTokens() {
        links.markRevoked(user.context(), "403 SKILL_DISABLED_EXCEPTION");

        assertThat(tokensStored()).isFalse();
        assertThat(links.token(user.context())).isEmpty();
        assertThat(links.refreshAfterRejection(user.context(), "anything")).isEmpty();
        assertThat(links.state(user.context()).orElseThrow().region()).isEqualTo(AlexaRegion.EU);
    }

    @Test
    void anotherUserSeesNoLink() {
        Fixtures.TestUser other = new Fixtures(dataSource, hasher).owner();

        assertThat(links.token(other.context())).isEmpty();
        assertThat(links.state(other.context())).isEmpty();
        links.markRevoked(other.context(), "not theirs");
        assertThat(links.token(user.context())).isPresent();
    }

    // ------------------------------------------------------------------------------------------------------

    private void expiresIn(Duration left) {
        superuser.sql("update alexa_lwa_tokens set access_token_expires_at = :at where user_id = :u")
                .param("at", Timestamp.from(Instant.now().plus(left))).param("u", user.userId()).update();
    }

    private boolean tokensStored() {
        Map<String, Object> row = superuser.sql("""
                        select access_token_enc is not null or refresh_token_enc is not null as stored
                          from alexa_lwa_tokens where user_id = :u""").param("u", user.userId()).query().singleRow();
        return (Boolean) row.get("stored");
    }

    private List<String> activity() {
        return superuser.sql("select action from activity_logs where user_id = :u order by created_at")
                .param("u", user.userId()).query(String.class).list();
    }

    /** Runs {@code call} on {@code n} threads released at once; their results. */
    static <T> List<T> concurrently(int n, Callable<T> call) throws Exception {
        return concurrently(Collections.nCopies(n, call));
    }

    /** Runs each call on its own thread, all released at once; their results in order. */
    static <T> List<T> concurrently(List<Callable<T>> calls) throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        try (ExecutorService pool = Executors.newFixedThreadPool(calls.size())) {
            List<Future<T>> futures = new ArrayList<>();
            for (Callable<T> call : calls) {
                futures.add(pool.submit(() -> {
                    start.await();
                    return call.call();
                }));
            }
            start.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) {
                results.add(f.get());
            }
            return results;
        }
    }
}
