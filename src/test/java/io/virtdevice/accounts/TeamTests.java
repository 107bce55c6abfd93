package io.virtdevice.accounts;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.MailSink;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.env.Environment;
import tools.jackson.databind.JsonNode;

@IntegrationTest
class TeamTests {

    @LocalServerPort
    int port;

    @Autowired
    Environment environment;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    TestAccounts accounts;
    Fixtures.TestUser owner;
    Api ownerApi;

    @BeforeEach
    void setUp() {
        accounts = new TestAccounts(port, environment, dataSource, hasher);
        owner = accounts.fixtures.owner();
        ownerApi = accounts.signedIn(owner.email(), Fixtures.PASSWORD);
    }

    private static List<String> emails(Api.Response members) {
        return members.json().path("members").valueStream().map(m -> m.path("email").asString()).toList();
    }

    private static String role(Api api, UUID userId) {
        return api.get("/api/v1/team/members").json().path("members").valueStream()
                .filter(m -> m.path("id").asString().equals(userId.toString()))
                .map(m -> m.path("role").asString())
                .findFirst()
                .orElse(null);
    }

    @Test
    void invitedPersonJoinsAndIsListed() {
        String email = Fixtures.uniqueEmail("invitee");
        Api.Response invited = ownerApi.post("/api/v1/team/invitations", Map.of("email", email, "role", "member"));
        assertThat(invited.status()).as(invited.toString()).isEqualTo(201);
        assertThat(invited.json().path("email").asString()).isEqualTo(email);
        assertThat(ownerApi.get("/api/v1/team/invitations").json().path("invitations").path(0).path("email").asString())
                .isEqualTo(email);
        String token = MailSink.token(email, "invited", "/invitation");
        assertThat(token).startsWith("vdi_");

        Api member = accounts.api();
        Api.Response accepted = member.post("/api/v1/auth/invitations/accept",
                Map.of("token", token, "name", "Bob", "password", Fixtures.PASSWORD));

        assertThat(accepted.status()).as(accepted.toString()).isEqualTo(201);
        JsonNode user = accepted.json().path("user");
        assertThat(user.path("role").asString()).isEqualTo("member");
        assertThat(user.path("emailVerified").asBoolean()).isTrue();
        assertThat(user.path("tenant").path("id").asString()).isEqualTo(owner.tenantId().toString());
        assertThat(member.get("/api/v1/account").json().path("email").asString()).isEqualTo(email);
        assertThat(emails(ownerApi.get("/api/v1/team/members"))).containsExactly(owner.email(), email);
        assertThat(ownerApi.get("/api/v1/team/invitations").json().path("invitations").isEmpty()).isTrue();
        assertThat(accounts.api().post("/api/v1/auth/invitations/accept",
                        Map.of("token", token, "name", "Eve", "password", Fixtures.PASSWORD)).status())
                .isEqualTo(400);
        assertThat(accounts.activity(owner.context())).containsExactly("user_login", "member_invited", "member_joined");
    }

    @Test
    void memberCannotInviteChangeRolesOrRenameTheTeam() {
        TestAccounts.Joined member = accounts.invite(ownerApi, "member");

        assertThat(member.api().post("/api/v1/team/invitations",
                        Map.of("email", Fixtures.uniqueEmail("x"), "role", "member")).status())
                .isEqualTo(403);
        assertThat(member.api().patch("/api/v1/team/members/" + owner.userId(), Map.of("role", "member")).status())
                .isEqualTo(403);
        assertThat(member.api().patch("/api/v1/team/members/" + member.id(), Map.of("role", "admin")).status())
                .isEqualTo(403);
        assertThat(member.api().delete("/api/v1/team/members/" + owner.userId()).status()).isEqualTo(403);
        assertThat(member.api().get("/api/v1/team/invitations").status()).isEqualTo(403);
        assertThat(member.api().patch("/api/v1/team", Map.of("name", "Mine now")).status()).isEqualTo(403);

        assertThat(role(ownerApi, owner.userId())).isEqualTo("owner");
        assertThat(role(ownerApi, member.id())).isEqualTo("member");
        assertThat(member.api().get("/api/v1/team/members").status()).isEqualTo(200);
        assertThat(ownerApi.get("/api/v1/team").json().path("name").asString()).startsWith("Home ");
    }

    @Test
    void adminCannotPromoteAnybodyToOwnerNorTouchTheOwner() {
        TestAccounts.Joined admin = accounts.invite(ownerApi, "admin");
        TestAccounts.Joined member = accounts.invite(ownerApi, "member");

        assertThat(admin.api().patch("/api/v1/team/members/" + member.id(), Map.of("role", "owner")).status())
                .isEqualTo(403);
        assertThat(admin.api().patch("/api/v1/team/members/" + admin.id(), Map.of("role", "owner")).status())
                .isEqualTo(403);
        assertThat(admin.api().patch("/api/v1/team/members/" + owner.userId(), Map.of("role", "member")).status())
                .isEqualTo(403);
        assertThat(admin.api().post("/api/v1/team/invitations",
                        Map.of("email", Fixtures.uniqueEmail("x"), "role", "owner")).status())
                .isEqualTo(400);

        Api.Response promoted = admin.api().patch("/api/v1/team/members/" + member.id(), Map.of("role", "admin"));

        assertThat(promoted.status()).as(promoted.toString()).isEqualTo(200);
        assertThat(promoted.json().path("role").asString()).isEqualTo("admin");
        assertThat(role(ownerApi, owner.userId())).isEqualTo("owner");
        assertThat(accounts.activity(owner.context())).contains("member_role_changed");
    }

    @Test
    void ownerCannotChangeTheirOwnRole() {
        Api.Response response = ownerApi.patch("/api/v1/team/members/" + owner.userId(), Map.of("role", "admin"));

        assertThat(response.status()).isEqualTo(403);
        assertThat(role(ownerApi, owner.userId())).isEqualTo("owner");
    }

    @Test
    void refusesUnknownRolesAndMembers() {
        assertThat(ownerApi.patch("/api/v1/team/members/" + owner.userId(), Map.of("role", "superuser")).status())
                .isEqualTo(400);
        assertThat(ownerApi.patch("/api/v1/team/members/" + UUID.randomUUID(), Map.of("role", "admin")).status())
                .isEqualTo(404);
        assertThat(ownerApi.patch("/api/v1/team/members/not-a-uuid", Map.of("role", "admin")).status()).isEqualTo(400);
        Fixtures.TestUser stranger = accounts.fixtures.owner();
        assertThat(ownerApi.delete("/api/v1/team/members/" + stranger.userId()).status()).isEqualTo(404);
    }

    @Test
    void removingAMemberDeletesTheirDataAndSessions() {
        TestAccounts.Joined member = accounts.invite(ownerApi, "member");
        String key = accounts.fixtures.apiKey(
                new Fixtures.TestUser(owner.tenantId(), member.id(), member.email(), null), List.of("read", "write"));
        Api memberKey = new Api(port).bearer(key);
        String device = memberKey.post("/api/v1/devices", Map.of("name", "Member lamp", "type", "switch"))
                .json().path("id").asString();
        assertThat(memberKey.put("/api/v1/devices/" + device + "/properties", Map.of("power", true)).status())
                .isEqualTo(200);
        assertThat(accounts.count("select count(*) from device_events where user_id = ?", member.id())).isEqualTo(2);

        Api.Response removed = ownerApi.delete("/api/v1/team/members/" + member.id());

        assertThat(removed.status()).as(removed.toString()).isEqualTo(204);
        for (String table : List.of("users where id", "user_credentials where user_id", "subscriptions where user_id",
                "api_keys where user_id", "devices where user_id", "device_properties where user_id")) {
            assertThat(accounts.count("select count(*) from " + table + " = ?", member.id())).as(table).isZero();
        }
        // the device went like any other delete: its events stay for the consumers, with a device.deleted
        assertThat(accounts.count("select count(*) from device_events where user_id = ? and kind = 'device.deleted'",
                member.id())).isEqualTo(1);
        assertThat(member.api().get("/api/v1/account").status()).isEqualTo(401);
        assertThat(emails(ownerApi.get("/api/v1/team/members"))).containsExactly(owner.email());
        assertThat(ownerApi.delete("/api/v1/team/members/" + member.id()).status()).isEqualTo(404);
        assertThat(accounts.activity(owner.context())).contains("member_removed");
    }

    @Test
    void revokedInvitationCannotBeAccepted() {
        String email = Fixtures.uniqueEmail("revoked");
        String id = ownerApi.post("/api/v1/team/invitations", Map.of("email", email, "role", "admin"))
                .json().path("id").asString();
        String token = MailSink.token(email, "invited", "/invitation");

        assertThat(ownerApi.delete("/api/v1/team/invitations/" + id).status()).isEqualTo(204);

        assertThat(accounts.api().post("/api/v1/auth/invitations/accept",
                        Map.of("token", token, "name", "Eve", "password", Fixtures.PASSWORD)).status())
                .isEqualTo(400);
        assertThat(ownerApi.delete("/api/v1/team/invitations/" + id).status()).isEqualTo(404);
        assertThat(accounts.count("select count(*) from users where email = ?", email)).isZero();
        assertThat(accounts.activity(owner.context())).contains("member_invited", "invitation_revoked");
    }

    @Test
    void invitationForAnEmailThatHasAnAccountConflictsOnAcceptance() {
        Fixtures.TestUser other = accounts.fixtures.owner();
        ownerApi.post("/api/v1/team/invitations", Map.of("email", other.email(), "role", "member"));
        String token = MailSink.token(other.email(), "invited", "/invitation");

        Api.Response accepted = accounts.api().post("/api/v1/auth/invitations/accept",
                Map.of("token", token, "name", "Twin", "password", Fixtures.PASSWORD));

        assertThat(accepted.status()).isEqualTo(409);
        assertThat(accounts.count("select count(*) from users where email = ?", other.email())).isEqualTo(1);
    }

    @Test
    void refusesToInviteSomebodyAlreadyInTheTeam() {
        TestAccounts.Joined member = accounts.invite(ownerApi, "member");

        Api.Response again = ownerApi.post("/api/v1/team/invitations", Map.of("email", member.email(), "role", "admin"));

        assertThat(again.status()).isEqualTo(409);
        assertThat(ownerApi.get("/api/v1/team/invitations").json().path("invitations").isEmpty()).isTrue();
    }

    @Test
    void ownerRenamesTheTeam() {
        Api.Response renamed = ownerApi.patch("/api/v1/team", Map.of("name", "  Casa Rossi  "));

        assertThat(renamed.status()).as(renamed.toString()).isEqualTo(200);
        assertThat(renamed.json().path("name").asString()).isEqualTo("Casa Rossi");
        assertThat(ownerApi.get("/api/v1/team").json().path("id").asString()).isEqualTo(owner.tenantId().toString());
        assertThat(ownerApi.get("/api/v1/account").json().path("tenant").path("name").asString()).isEqualTo("Casa Rossi");
        assertThat(ownerApi.patch("/api/v1/team", Map.of("name", "")).status()).isEqualTo(400);
        assertThat(accounts.activity(owner.context())).contains("tenant_updated");
    }

    @Test
    void teamEndpointsNeedTheBrowserSession() {
        // 403 once API keys authenticate (session-only paths), 401 while no authenticator knows the key
        Api withKey = new Api(port).bearer(owner.apiKey());

        assertThat(withKey.get("/api/v1/team/members").status()).isIn(401, 403);
        assertThat(withKey.get("/api/v1/account").status()).isIn(401, 403);
        assertThat(new Api(port).get("/api/v1/team/members").status()).isEqualTo(401);
    }
}
