package io.virtdevice.alexa;

import static io.virtdevice.oauth.OAuthFlow.ALEXA;
import static io.virtdevice.oauth.OAuthFlow.IFTTT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.virtdevice.oauth.OAuthFlow;
import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TestDatabase;
import io.virtdevice.testing.fakes.FakeLoginWithAmazon;
import io.virtdevice.testing.fakes.FakeLoginWithAmazon.Failure;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import tools.jackson.databind.JsonNode;

/**
 * AcceptGrant over real HTTP (shared/spec/alexa.md §5, §10 checks 17-19) with a grantee token from the real
 * authorization-code flow of the {@code alexa-smart-home} client and {@link FakeLoginWithAmazon} as LWA, which
 * checks the exchange request itself; every answer validated against Amazon's schema.
 */
@IntegrationTest
class AcceptGrantTests {

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

    OAuthFlow flow;
    Fixtures.TestUser user;
    String token;

    @BeforeEach
    void setUp() {
        flow = new OAuthFlow(port);
        user = new Fixtures(dataSource, hasher).owner();
        token = flow.link(ALEXA, "read write", user.email()).accessToken();
    }

    @AfterEach
    void noProtocolProblems() {
        assertThat(lwa.problems()).as("what the fake LWA received").isEmpty();
    }

    @Test
    void exchangesTheCodeWithExactlyTheFourFieldsAndStoresTheTokensSealed() {
        FakeLoginWithAmazon.Grant grant = lwa.issueCode();

        AcceptGrants.accept(port, grant.code(), token, null);

        // §10 check 17: one request, exactly grant_type, code, client_id, client_secret (the fake checks the rest)
        assertThat(grant.requests()).hasSize(1);
        assertThat(grant.requests().getFirst().form()).containsOnlyKeys("grant_type", "code", "client_id",
                "client_secret").containsEntry("grant_type", "authorization_code").containsEntry("code", grant.code())
                .containsEntry("client_id", FakeLoginWithAmazon.CLIENT_ID)
                .containsEntry("client_secret", FakeLoginWithAmazon.CLIENT_SECRET);
        // §10 check 18: persisted with expires_at, sealed, in the default region
        Map<String, Object> row = row();
        assertThat(row).containsEntry("region", "NA").containsEntry("status", "active");
        assertThat(((Timestamp) row.get("access_token_expires_at")).toInstant())
                .isCloseTo(Instant.now().plusSeconds(3600), within(30, ChronoUnit.SECONDS));
        String stored = new String((byte[]) row.get("access_token_enc"), StandardCharsets.ISO_8859_1)
                + new String((byte[]) row.get("refresh_token_enc"), StandardCharsets.ISO_8859_1);
        assertThat(stored).doesNotContain(grant.accessToken()).doesNotContain(grant.refreshToken())
                .doesNotContain("Atza|").doesNotContain("Atzr|");
        // usable at once, and recorded
        assertThat(links.token(user.context()).orElseThrow().accessToken()).isEqualTo(grant.accessToken());
        assertThat(links.state(user.context()).orElseThrow().linkedAt()).isNotNull();
        assertThat(activity()).contains("alexa_linked");
    }

    @Test
    void storesTheRegionOfTheLambdaThatForwardedIt() {
        AcceptGrants.accept(port, lwa.issueCode().code(), token, "EU");
        assertThat(row()).containsEntry("region", "EU");
        assertThat(links.token(user.context()).orElseThrow().region()).isEqualTo(AlexaRegion.EU);

        AcceptGrants.accept(port, lwa.issueCode().code(), token, "FE");
        assertThat(row()).containsEntry("region", "FE");
    }

    @Test
    void refusesAnUnknownRegionAsAnInvalidDirectiveWithoutAskingLwa() {
        for (String region : List.of("eu", "US", "", "NA,EU", "XX")) {
            FakeLoginWithAmazon.Grant grant = lwa.issueCode();
            JsonNode response = AcceptGrants.send(port, AcceptGrants.directive(grant.code(), token), region);
            assertThat(response.path("event").path("header").path("namespace").asString()).isEqualTo("Alexa");
            assertThat(response.path("event").path("payload").path("type").asString()).as(region)
                    .isEqualTo("INVALID_DIRECTIVE");
            assertThat(grant.requests()).isEmpty();
        }
        assertThat(links.state(user.context())).isEmpty();
    }

    @Test
    void answersAcceptGrantFailedWhenLwaRefusesTheCode() {
        FakeLoginWithAmazon.Grant grant = lwa.issueCode().failNext(Failure.INVALID_GRANT);

        AcceptGrants.assertFailed(AcceptGrants.send(port, AcceptGrants.directive(grant.code(), token), "NA"));

        assertThat(grant.requests()).hasSize(1);
        assertThat(links.state(user.context())).isEmpty();
        // an unknown code is refused the same way
        AcceptGrants.assertFailed(AcceptGrants.send(port, AcceptGrants.directive("ANUbNotIssued", token), null));
    }

    @Test
    void answersAcceptGrantFailedWhenLwaTimesOutOrFailsAndNeverRetriesTheCode() {
        FakeLoginWithAmazon.Grant slow = lwa.issueCode().failNext(Failure.SLOW);
        long start = System.nanoTime();
        AcceptGrants.assertFailed(AcceptGrants.send(port, AcceptGrants.directive(slow.code(), token), null));
        // the time-out (1 s in the tests) ended the wait well before the fake's slow answer
        assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(lwa.slowAnswer().toMillis());

        FakeLoginWithAmazon.Grant failing = lwa.issueCode().failNext(Failure.SERVER_ERROR);
        AcceptGrants.assertFailed(AcceptGrants.send(port, AcceptGrants.directive(failing.code(), token), null));

        FakeLoginWithAmazon.Grant partial = lwa.issueCode().failNext(Failure.NO_REFRESH_TOKEN);
        AcceptGrants.assertFailed(AcceptGrants.send(port, AcceptGrants.directive(partial.code(), token), null));

        assertThat(slow.requests()).hasSize(1);
        assertThat(failing.requests()).hasSize(1);
        assertThat(partial.requests()).hasSize(1);
        assertThat(links.state(user.context())).isEmpty();
    }

    @Test
    void answersAcceptGrantFailedForAForeignExpiredOrRevokedGranteeWithoutAskingLwa() {
        String ifttt = flow.link(IFTTT, "ifttt", user.email()).accessToken();
        String expired = flow.link(ALEXA, "read write", user.email()).accessToken();
        TestDatabase.of(context).superuser().sql("""
                        update oauth_tokens set access_token_expires_at = now() - interval '1 second'
                         where access_token_hash = sha256(convert_to(:t, 'UTF8'))
                        """).param("t", expired).update();
        String revoked = flow.link(ALEXA, "read write", user.email()).accessToken();
        assertThat(flow.revoke(ALEXA, revoked).status()).isEqualTo(200);

        for (String grantee : List.of(ifttt, expired, revoked, user.apiKey(), "vda_unknown0123456789")) {
            FakeLoginWithAmazon.Grant grant = lwa.issueCode();
            AcceptGrants.assertFailed(AcceptGrants.send(port, AcceptGrants.directive(grant.code(), grantee), null));
            assertThat(grant.requests()).isEmpty();
        }
        assertThat(links.state(user.context())).isEmpty();
    }

    @Test
    void refusesAMalformedGrantAsAnInvalidDirective() {
        Map<String, Object> noCode = AcceptGrants.directive("x", token);
        grant(noCode).remove("code");
        Map<String, Object> wrongType = AcceptGrants.directive(lwa.issueCode().code(), token);
        grant(wrongType).put("type", "OAuth2.Implicit");
        Map<String, Object> numericCode = AcceptGrants.directive("x", token);
        grant(numericCode).put("code", 12345);

        for (Map<String, Object> directive : List.of(noCode, wrongType, numericCode)) {
            JsonNode response = AcceptGrants.send(port, directive, null);
            assertThat(response.path("event").path("payload").path("type").asString()).isEqualTo("INVALID_DIRECTIVE");
        }
        assertThat(links.state(user.context())).isEmpty();
    }

    @Test
    void aNewGrantReplacesTheLinkAndReactivatesARevokedOne() {
        FakeLoginWithAmazon.Grant first = lwa.issueCode();
        AcceptGrants.accept(port, first.code(), token, "NA");
        links.markRevoked(user.context(), "403 SKILL_DISABLED_EXCEPTION from the NA gateway");
        AlexaLinkState revoked = links.state(user.context()).orElseThrow();
        assertThat(revoked.status()).isEqualTo("revoked");
        assertThat(revoked.statusReason()).contains("SKILL_DISABLED_EXCEPTION");
        assertThat(links.token(user.context())).isEmpty();

        FakeLoginWithAmazon.Grant second = lwa.issueCode();
        AcceptGrants.accept(port, second.code(), token, "EU");

        AlexaLinkState state = links.state(user.context()).orElseThrow();
        assertThat(state.status()).isEqualTo("active");
        assertThat(state.region()).isEqualTo(AlexaRegion.EU);
        assertThat(state.statusReason()).isNull();
        LwaToken current = links.token(user.context()).orElseThrow();
        assertThat(current.accessToken()).isEqualTo(second.accessToken());
        assertThat(current.region()).isEqualTo(AlexaRegion.EU);
        assertThat(TestDatabase.of(context).superuser().sql("select count(*) from alexa_lwa_tokens where user_id = :u")
                .param("u", user.userId()).query(Long.class).single()).isEqualTo(1);
        assertThat(activity()).contains("alexa_linked", "alexa_link_revoked");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> grant(Map<String, Object> message) {
        Map<String, Object> directive = (Map<String, Object>) message.get("directive");
        return (Map<String, Object>) ((Map<String, Object>) directive.get("payload")).get("grant");
    }

    private Map<String, Object> row() {
        return TestDatabase.of(context).superuser().sql("select * from alexa_lwa_tokens where user_id = :u")
                .param("u", user.userId()).query().singleRow();
    }

    private List<String> activity() {
        return TestDatabase.of(context).superuser()
                .sql("select action from activity_logs where user_id = :u order by created_at")
                .param("u", user.userId()).query(String.class).list();
    }
}
