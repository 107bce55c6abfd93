package io.virtdevice.alexa;

import static io.virtdevice.oauth.OAuthFlow.ALEXA;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.virtdevice.oauth.OAuthFlow;
import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.platform.tenancy.TenantContext;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.MailSink;
import io.virtdevice.testing.TestDatabase;
import io.virtdevice.testing.fakes.FakeLoginWithAmazon;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The link of a deleted user (account deletion, member removal) still gives a token for
 * {@code virtdevice.alexa.retired-link-window} after the user row is gone, so the DeleteReports of their devices,
 * sent by a change-event consumer after the deletion committed, can still go out; then it is gone for good.
 */
@IntegrationTest
class RetiredLinkTests {

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

    @Autowired
    DeletedOwnerTokenRecorder recorder;

    Fixtures fixtures;
    JdbcClient superuser;

    @BeforeEach
    void setUp() {
        MailSink.start();
        fixtures = new Fixtures(dataSource, hasher);
        superuser = TestDatabase.of(context).superuser();
    }

    @AfterEach
    void noProtocolProblems() {
        assertThat(lwa.problems()).as("what the fake LWA received").isEmpty();
    }

    @Test
    void aDeletedAccountsLinkStillGivesItsTokenToTheConsumerOfItsDeviceDeletions() {
        Fixtures.TestUser owner = fixtures.owner();
        FakeLoginWithAmazon.Grant grant = link(owner.email(), "FE");
        UUID device = device(owner.apiKey(), "Porch bell", "doorbell");

        Api session = signedIn(owner.email());
        Api.Response deleted = session.send("DELETE", "/api/v1/account", Map.of("password", Fixtures.PASSWORD), Map.of());
        assertThat(deleted.status()).as(deleted.toString()).isEqualTo(204);
        assertThat(count("select count(*) from users where id = :id", owner.userId())).isZero();
        assertThat(count("select count(*) from alexa_lwa_tokens where user_id = :id", owner.userId())).isZero();

        Optional<LwaToken> atDeletion = await().atMost(Duration.ofSeconds(15))
                .until(() -> recorder.tokenAtDeletion(device), t -> t != null);
        assertThat(atDeletion.orElseThrow().accessToken()).isEqualTo(grant.accessToken());
        assertThat(atDeletion.orElseThrow().region()).isEqualTo(AlexaRegion.FE);

        // it refreshes like any link while the window lasts (and keeps the rotated refresh token)
        superuser.sql("update alexa_lwa_retired_links set access_token_expires_at = :at where user_id = :id")
                .param("at", Timestamp.from(Instant.now().plusSeconds(30))).param("id", owner.userId()).update();
        assertThat(links.token(owner.context()).orElseThrow().accessToken()).isEqualTo(grant.accessToken());
        assertThat(grant.requests("refresh_token")).hasSize(1);
        // nobody else reads it
        assertThat(links.token(new TenantContext(owner.tenantId(), UUID.randomUUID()))).isEmpty();

        // once the window is over, nothing; the purge then deletes it
        superuser.sql("update alexa_lwa_retired_links set retired_at = now() - interval '61 minutes' where user_id = :id")
                .param("id", owner.userId()).update();
        assertThat(links.token(owner.context())).isEmpty();
        assertThat(context.getBean(PurgeRetiredLinksTask.class).purge()).isGreaterThanOrEqualTo(1);
        assertThat(count("select count(*) from alexa_lwa_retired_links where user_id = :id", owner.userId())).isZero();
    }

    @Test
    void aRemovedMembersLinkStillGivesItsTokenForTheirDeviceDeletions() {
        Fixtures.TestUser owner = fixtures.owner();
        Api ownerSession = signedIn(owner.email());
        String email = Fixtures.uniqueEmail("member");
        assertThat(ownerSession.post("/api/v1/team/invitations", Map.of("email", email, "role", "member")).status())
                .isEqualTo(201);
        Api.Response accepted = new Api(port).withCsrf().post("/api/v1/auth/invitations/accept", Map.of(
                "token", MailSink.token(email, "invited", "/invitation"), "name", "Member", "password",
                Fixtures.PASSWORD));
        assertThat(accepted.status()).as(accepted.toString()).isEqualTo(201);
        UUID memberId = UUID.fromString(accepted.json().path("user").path("id").asString());
        Fixtures.TestUser member = new Fixtures.TestUser(owner.tenantId(), memberId, email, null);
        FakeLoginWithAmazon.Grant grant = link(email, null);
        UUID device = device(fixtures.apiKey(member, List.of("read", "write")), "Garage door", "contact_sensor");

        assertThat(ownerSession.delete("/api/v1/team/members/" + memberId).status()).isEqualTo(204);

        Optional<LwaToken> atDeletion = await().atMost(Duration.ofSeconds(15))
                .until(() -> recorder.tokenAtDeletion(device), t -> t != null);
        assertThat(atDeletion.orElseThrow().accessToken()).isEqualTo(grant.accessToken());
        assertThat(atDeletion.orElseThrow().region()).isEqualTo(AlexaRegion.NA);
        assertThat(links.state(member.context())).isEmpty();
    }

    @Test
    void aRevokedLinkIsNotKeptForADeletedUser() {
        Fixtures.TestUser owner = fixtures.owner();
        link(owner.email(), "EU");
        links.markRevoked(owner.context(), "403 SKILL_DISABLED_EXCEPTION");
        UUID device = device(owner.apiKey(), "Hall", "switch");

        assertThat(signedIn(owner.email()).send("DELETE", "/api/v1/account", Map.of("password", Fixtures.PASSWORD),
                Map.of()).status()).isEqualTo(204);

        assertThat(await().atMost(Duration.ofSeconds(15)).until(() -> recorder.tokenAtDeletion(device), t -> t != null))
                .isEmpty();
        assertThat(count("select count(*) from alexa_lwa_retired_links where user_id = :id", owner.userId())).isZero();
    }

    // ------------------------------------------------------------------------------------------------------

    private FakeLoginWithAmazon.Grant link(String email, String region) {
        String token = new OAuthFlow(port).link(ALEXA, "read write", email).accessToken();
        FakeLoginWithAmazon.Grant grant = lwa.issueCode();
        AcceptGrants.accept(port, grant.code(), token, region);
        return grant;
    }

    private UUID device(String apiKey, String name, String type) {
        Api.Response created = new Api(port).bearer(apiKey).post("/api/v1/devices", Map.of("name", name, "type", type));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        return UUID.fromString(created.json().path("id").asString());
    }

    private Api signedIn(String email) {
        Api api = new Api(port).withCsrf();
        Api.Response login = api.post("/api/v1/auth/login", Map.of("email", email, "password", Fixtures.PASSWORD));
        assertThat(login.status()).as(login.toString()).isEqualTo(200);
        return api;
    }

    private long count(String sql, UUID id) {
        return superuser.sql(sql).param("id", id).query(Long.class).single();
    }
}
