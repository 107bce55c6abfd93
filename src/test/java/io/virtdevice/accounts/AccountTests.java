package io.virtdevice.accounts;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.env.Environment;

@IntegrationTest
class AccountTests {

    @LocalServerPort
    int port;

    @Autowired
    Environment environment;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    TestAccounts accounts;

    @BeforeEach
    void setUp() {
        accounts = new TestAccounts(port, environment, dataSource, hasher);
    }

    private static Api.Response deleteAccount(Api api, String password) {
        return api.send("DELETE", "/api/v1/account", Map.of("password", password), Map.of());
    }

    @Test
    void deletingTheSoleUserRemovesTheTenant() {
        Fixtures.TestUser owner = accounts.fixtures.owner();
        Api api = accounts.signedIn(owner.email(), Fixtures.PASSWORD);
        Api otherSession = accounts.signedIn(owner.email(), Fixtures.PASSWORD);
        Api key = new Api(port).bearer(owner.apiKey());
        String device = key.post("/api/v1/devices", Map.of("name", "Doomed", "type", "doorbell")).json().path("id").asString();
        assertThat(key.post("/api/v1/devices/" + device + "/press", null).status()).isEqualTo(200);
        assertThat(accounts.count("select count(*) from device_events where tenant_id = ?", owner.tenantId())).isEqualTo(2);

        assertThat(deleteAccount(api, "not my password").status()).isEqualTo(400);
        Api.Response deleted = deleteAccount(api, Fixtures.PASSWORD);

        assertThat(deleted.status()).as(deleted.toString()).isEqualTo(204);
        assertThat(accounts.count("select count(*) from tenants where id = ?", owner.tenantId())).isZero();
        assertThat(accounts.count("select count(*) from users where id = ?", owner.userId())).isZero();
        assertThat(accounts.count("select count(*) from api_keys where user_id = ?", owner.userId())).isZero();
        assertThat(accounts.count("select count(*) from activity_logs where tenant_id = ?", owner.tenantId())).isZero();
        // the change events outlive the account (consumers may not have processed them yet): the press, and
        // the device.deleted the deletion wrote for the device
        assertThat(accounts.count("select count(*) from device_events where user_id = ? and kind = 'device.deleted'",
                owner.userId())).isEqualTo(1);
        assertThat(api.get("/api/v1/account").status()).isEqualTo(401);
        assertThat(otherSession.get("/api/v1/account").status()).isEqualTo(401);
        assertThat(accounts.count("select count(*) from spring_session where principal_name = ?", owner.userId().toString()))
                .isZero();
    }

    @Test
    void lastOwnerOfATeamWithMembersMustHandOverFirst() {
        Fixtures.TestUser owner = accounts.fixtures.owner();
        Api ownerApi = accounts.signedIn(owner.email(), Fixtures.PASSWORD);
        TestAccounts.Joined member = accounts.invite(ownerApi, "member");

        Api.Response refused = deleteAccount(ownerApi, Fixtures.PASSWORD);

        assertThat(refused.status()).isEqualTo(409);
        assertThat(accounts.count("select count(*) from users where id = ?", owner.userId())).isEqualTo(1);

        assertThat(ownerApi.patch("/api/v1/team/members/" + member.id(), Map.of("role", "owner")).status()).isEqualTo(200);
        assertThat(deleteAccount(ownerApi, Fixtures.PASSWORD).status()).isEqualTo(204);

        assertThat(accounts.count("select count(*) from users where id = ?", owner.userId())).isZero();
        assertThat(member.api().get("/api/v1/account").json().path("role").asString()).isEqualTo("owner");
        assertThat(accounts.activity(member.context(owner.tenantId()))).contains("account_deleted");
    }

    @Test
    void renamesTheAccount() {
        Fixtures.TestUser owner = accounts.fixtures.owner();
        Api api = accounts.signedIn(owner.email(), Fixtures.PASSWORD);

        Api.Response renamed = api.patch("/api/v1/account", Map.of("name", " Ann Rossi "));

        assertThat(renamed.status()).isEqualTo(200);
        assertThat(renamed.json().path("name").asString()).isEqualTo("Ann Rossi");
        assertThat(api.patch("/api/v1/account", Map.of("name", "Ann\u0000")).status()).isEqualTo(400);
        assertThat(api.patch("/api/v1/account", Map.of("name", "Ann", "role", "owner")).status()).isEqualTo(400);
        assertThat(api.patch("/api/v1/account", Map.of("name", "")).json().path("name").isNull()).isTrue();
    }

    @Test
    void accountNeedsASignIn() {
        Api anonymous = accounts.api();

        assertThat(anonymous.get("/api/v1/account").status()).isEqualTo(401);
        assertThat(anonymous.put("/api/v1/account/password",
                        Map.of("currentPassword", "x", "newPassword", TestAccounts.NEW_PASSWORD)).status())
                .isEqualTo(401);
        assertThat(anonymous.get("/api/v1/account").json().path("type").asString()).endsWith("/unauthenticated");
    }
}
