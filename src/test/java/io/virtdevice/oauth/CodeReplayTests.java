package io.virtdevice.oauth;

import static io.virtdevice.oauth.OAuthFlow.ALEXA;
import static io.virtdevice.oauth.OAuthFlow.ALEXA_NA;
import static io.virtdevice.oauth.OAuthFlow.request;
import static io.virtdevice.oauth.OAuthFlow.state;
import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

/** Codes are single-use; a replayed code revokes what it issued (RFC 6749 §4.1.2, RFC 6819 §5.1.5.4). */
@IntegrationTest
class CodeReplayTests {

    @LocalServerPort
    int port;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

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

    @Test
    void revokesTheTokensOfACodeRedeemedTwiceAtOnce() throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Api.Response>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
            for (int i = 0; i < 2; i++) {
                results.add(pool.submit(() -> {
                    start.await();
                    return flow.redeem(ALEXA, code, ALEXA_NA, null);
                }));
            }
            start.countDown();
        }
        List<Api.Response> responses = new ArrayList<>();
        for (Future<Api.Response> f : results) {
            responses.add(f.get());
        }

        assertThat(responses).filteredOn(r -> r.status() == 200).hasSizeLessThanOrEqualTo(1);
        assertThat(responses).filteredOn(r -> r.status() == 400).isNotEmpty();
        for (Api.Response r : responses) {
            if (r.status() == 200) {
                String access = OAuthFlow.tokens(r).accessToken();
                assertThat(flow.use(ALEXA, access)).isEqualTo(401);
            }
        }
    }
}
