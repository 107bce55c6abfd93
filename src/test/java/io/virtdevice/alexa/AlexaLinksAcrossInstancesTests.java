package io.virtdevice.alexa;

import static io.virtdevice.oauth.OAuthFlow.ALEXA;
import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.oauth.OAuthFlow;
import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.SecondInstance;
import io.virtdevice.testing.TestDatabase;
import io.virtdevice.testing.fakes.FakeLoginWithAmazon;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * One refresh per user across instances (spec §5, §10 check 21): callers on two instances that share the
 * database ask for the token of a link about to expire at the same moment; the row lock lets exactly one of
 * them go to Login with Amazon, and all get its token.
 */
@IntegrationTest
class AlexaLinksAcrossInstancesTests {

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

    @Test
    void concurrentCallersOnTwoInstancesShareOneRefresh() throws Exception {
        Fixtures.TestUser user = new Fixtures(dataSource, hasher).owner();
        String token = new OAuthFlow(port).link(ALEXA, "read write", user.email()).accessToken();
        FakeLoginWithAmazon.Grant grant = lwa.issueCode();
        AcceptGrants.accept(port, grant.code(), token, "NA");
        grant.latency(Duration.ofMillis(400));
        TestDatabase.of(context).superuser()
                .sql("update alexa_lwa_tokens set access_token_expires_at = :at where user_id = :u")
                .param("at", Timestamp.from(Instant.now().plusSeconds(100))).param("u", user.userId()).update();

        try (ConfigurableApplicationContext second = SecondInstance.start(context, "instance-alexa-links",
                lwa.settings())) {
            AlexaLinks other = second.getBean(AlexaLinks.class);
            List<Callable<Optional<LwaToken>>> calls = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                AlexaLinks on = i % 2 == 0 ? links : other;
                calls.add(() -> on.token(user.context()));
            }
            List<Optional<LwaToken>> results = AlexaLinksTests.concurrently(calls);

            assertThat(grant.requests("refresh_token")).hasSize(1);
            assertThat(results).hasSize(16).allSatisfy(t -> assertThat(t.orElseThrow().accessToken())
                    .isEqualTo(grant.accessToken()));
        }
        assertThat(lwa.problems()).isEmpty();
    }
}
