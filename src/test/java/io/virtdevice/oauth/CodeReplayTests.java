package io.virtdevice.oauth;

import static io.virtdevice.oauth.OAuthFlow.ALEXA;
import static io.virtdevice.oauth.OAuthFlow.ALEXA_NA;
import static io.virtdevice.oauth.OAuthFlow.request;
import static io.virtdevice.oauth.OAuthFlow.state;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;

/** Codes are single-use; a replayed code revokes what it issued (RFC 6749 §4.1.2, RFC 6819 §5.1.5.4). */
@IntegrationTest
@ExtendWith(OutputCaptureExtension.class)
class CodeReplayTests {

    @LocalServerPort
    int port;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    @Autowired
    ApplicationContext context;

    OAuthFlow flow;
    String code;

    @BeforeEach
    void setUp() {
        flow = new OAuthFlow(port);
        String email = new Fixtures(dataSource, hasher).owner().email();
        code = flow.code(flow.browser(), request(ALEXA, ALEXA_NA, "read write", state(), null), email);
    }

    @Test
    void revokesTheTokensOfACodeRedeemedTwice() {
        OAuthFlow.Tokens tokens = OAuthFlow.tokens(flow.redeem(ALEXA, code, ALEXA_NA, null));
        assertThat(flow.use(ALEXA, tokens.accessToken())).isEqualTo(200);

        Api.Response replay = flow.redeem(ALEXA, code, ALEXA_NA, null);

        assertThat(replay.status()).isEqualTo(400);
        assertThat(replay.json().path("error").asString()).isEqualTo("invalid_grant");
        assertThat(flow.use(ALEXA, tokens.accessToken())).isEqualTo(401);
        assertThat(flow.refresh(ALEXA, tokens.refreshToken()).json().path("error").asString()).isEqualTo("invalid_grant");
    }

    /**
     * Both redemptions really race: the test holds the grant's row lock until both requests have passed the
     * authorization server's own checks (the code still unused for each) and wait on the same UPDATE that
     * consumes the code, seen in pg_stat_activity. Then one consumes it, and the other can only be refused as
     * a replay, which revokes what the winner got.
     */
    @Test
    void revokesTheTokensOfACodeRedeemedTwiceAtOnce(CapturedOutput output) throws Exception {
        TestDatabase db = TestDatabase.of(context);
        UUID grant = db.superuser().sql("select id from oauth_authorizations where code_hash = sha256(convert_to(:c, 'UTF8'))")
                .param("c", code).query(UUID.class).single();
        List<Future<Api.Response>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(2);
                Connection lock = db.superuserConnection()) {
            lock.setAutoCommit(false);
            try (PreparedStatement st = lock.prepareStatement("select 1 from oauth_authorizations where id = ? for update")) {
                st.setObject(1, grant);
                st.executeQuery().close();
            }
            for (int i = 0; i < 2; i++) {
                results.add(pool.submit(() -> flow.redeem(ALEXA, code, ALEXA_NA, null)));
            }
            await("both redemptions wait to consume the code").atMost(Duration.ofSeconds(20))
                    .until(() -> db.superuser().sql("""
                                    select count(*) from pg_stat_activity
                                     where wait_event_type = 'Lock' and usename = 'virtdevice_app'
                                       and query like 'update oauth_authorizations set code_consumed_at%'
                                    """).query(Long.class).single() == 2);
            assertThat(results).noneMatch(Future::isDone);
            lock.rollback();
        }
        List<Api.Response> responses = new ArrayList<>();
        for (Future<Api.Response> f : results) {
            responses.add(f.get());
        }

        assertThat(responses).extracting(Api.Response::status).containsExactlyInAnyOrder(200, 400);
        Api.Response winner = responses.stream().filter(r -> r.status() == 200).findFirst().orElseThrow();
        Api.Response loser = responses.stream().filter(r -> r.status() == 400).findFirst().orElseThrow();
        assertThat(loser.json().path("error").asString()).isEqualTo("invalid_grant");
        assertThat(output).contains("Revoked OAuth grant " + grant + ": its authorization code was redeemed twice");
        OAuthFlow.Tokens tokens = OAuthFlow.tokens(winner);
        assertThat(flow.use(ALEXA, tokens.accessToken())).isEqualTo(401);
        assertThat(flow.refresh(ALEXA, tokens.refreshToken()).json().path("error").asString()).isEqualTo("invalid_grant");
    }
}
