package io.virtdevice.accounts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.platform.crypto.Tokens;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.MailSink;
import io.virtdevice.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import org.springframework.core.env.Environment;

@IntegrationTest
class PasswordTests {

    @LocalServerPort
    int port;

    @Autowired
    Environment environment;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    @Autowired
    ApplicationContext context;

    TestAccounts accounts;

    @BeforeEach
    void setUp() {
        accounts = new TestAccounts(port, environment, dataSource, hasher);
    }

    private String requestReset(String email) {
        Api.Response response = accounts.api().post("/api/v1/auth/password-reset", Map.of("email", email));
        assertThat(response.status()).isEqualTo(202);
        return MailSink.token(email, "Reset your", "/reset-password");
    }

    @Test
    void resetsThePasswordAndEndsEverySession() {
        Fixtures.TestUser owner = accounts.fixtures.owner();
        Api laptop = accounts.signedIn(owner.email(), Fixtures.PASSWORD);
        Api phone = accounts.signedIn(owner.email(), Fixtures.PASSWORD);
        String token = requestReset(owner.email());

        Api.Response reset = accounts.api().post("/api/v1/auth/password-reset/confirm",
                Map.of("token", token, "password", TestAccounts.NEW_PASSWORD));

        assertThat(reset.status()).as(reset.toString()).isEqualTo(204);
        assertThat(laptop.get("/api/v1/account").status()).isEqualTo(401);
        assertThat(phone.get("/api/v1/account").status()).isEqualTo(401);
        assertThat(TestAccounts.login(accounts.api(), owner.email(), Fixtures.PASSWORD).status()).isEqualTo(401);
        assertThat(TestAccounts.login(accounts.api(), owner.email(), TestAccounts.NEW_PASSWORD).status()).isEqualTo(200);
        assertThat(accounts.activity(owner.context())).contains("password_reset");
    }

    @Test
    void refusesAResetTokenTwice() {
        Fixtures.TestUser owner = accounts.fixtures.owner();
        String token = requestReset(owner.email());
        Api api = accounts.api();
        api.post("/api/v1/auth/password-reset/confirm", Map.of("token", token, "password", TestAccounts.NEW_PASSWORD));

        Api.Response again = api.post("/api/v1/auth/password-reset/confirm",
                Map.of("token", token, "password", "yet another passphrase"));

        assertThat(again.status()).isEqualTo(400);
        assertThat(again.json().path("type").asString()).endsWith("/invalid-token");
        assertThat(TestAccounts.login(api, owner.email(), TestAccounts.NEW_PASSWORD).status()).isEqualTo(200);
    }

    @Test
    void refusesAnExpiredResetToken() {
        Fixtures.TestUser owner = accounts.fixtures.owner();
        String token = requestReset(owner.email());
        accounts.superuserUpdate("update auth_tokens set expires_at = now() - interval '1 second' where token_hash = ?",
                (Object) Tokens.sha256(token));

        Api.Response response = accounts.api().post("/api/v1/auth/password-reset/confirm",
                Map.of("token", token, "password", TestAccounts.NEW_PASSWORD));

        assertThat(response.status()).isEqualTo(400);
    }

    @Test
    void storesOnlyTheHashOfAResetTokenWithAThirtyMinuteExpiry() {
        Fixtures.TestUser owner = accounts.fixtures.owner();
        String token = requestReset(owner.email());

        assertThat(accounts.count("""
                select count(*) from auth_tokens where token_hash = ? and kind = 'password_reset'
                   and expires_at between now() + interval '29 minutes' and now() + interval '31 minutes'
                """, (Object) Tokens.sha256(token))).isEqualTo(1);
        assertThat(accounts.count("select count(*) from auth_tokens where token_hash = convert_to(?, 'UTF8')", token))
                .isZero();
    }

    @Test
    void sendsAtMostThreeResetLinksPerAccountInFifteenMinutes() {
        Fixtures.TestUser owner = accounts.fixtures.owner();
        Api api = accounts.api();
        List<Api.Response> responses = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            responses.add(api.post("/api/v1/auth/password-reset", Map.of("email", owner.email())));
        }
        assertThat(responses).extracting(Api.Response::status).containsOnly(202);
        assertThat(responses).extracting(Api.Response::body).containsOnly(responses.get(0).body());
        // the requests are handled after their answers: three links, and no more once all are handled
        await().atMost(Duration.ofSeconds(15)).during(Duration.ofSeconds(1)).until(() -> accounts.count(
                "select count(*) from auth_tokens where user_id = ? and kind = 'password_reset'", owner.userId()),
                n -> n == 3);
    }

    @Test
    void aResetRequestIsAnsweredBeforeTheAddressIsLookedUp() throws Exception {
        Fixtures.TestUser owner = accounts.fixtures.owner();
        Api api = accounts.api();
        CompletableFuture<Api.Response> answered;
        try (Connection lock = TestDatabase.of(context).superuserConnection()) {
            // issuing the link needs the user's row (its token references it): hold that row
            lock.setAutoCommit(false);
            try (PreparedStatement st = lock.prepareStatement("select 1 from users where id = ? for update")) {
                st.setObject(1, owner.userId());
                st.executeQuery().close();
            }
            answered = CompletableFuture.supplyAsync(
                    () -> api.post("/api/v1/auth/password-reset", Map.of("email", owner.email())));

            // answered while the link cannot have been issued: the answer did not wait for the look-up
            Api.Response response = answered.get(20, TimeUnit.SECONDS);
            assertThat(response.status()).isEqualTo(202);
            assertThat(accounts.count("select count(*) from auth_tokens where user_id = ? and kind = 'password_reset'",
                    owner.userId())).isZero();
            lock.rollback();
        }

        // and the link is issued and mailed once the row is free
        assertThat(MailSink.token(owner.email(), "Reset your", "/reset-password")).startsWith("vdr_");
    }

    @Test
    void answersAResetRequestForAnUnknownEmailIdentically() {
        Fixtures.TestUser owner = accounts.fixtures.owner();
        Api api = accounts.api();

        Api.Response known = api.post("/api/v1/auth/password-reset", Map.of("email", owner.email()));
        Api.Response unknown = api.post("/api/v1/auth/password-reset", Map.of("email", Fixtures.uniqueEmail("nobody")));

        assertThat(unknown.status()).isEqualTo(known.status()).isEqualTo(202);
        assertThat(unknown.body()).isEqualTo(known.body());
    }

    @Test
    void changesThePasswordAndEndsTheOtherSessions() {
        Fixtures.TestUser owner = accounts.fixtures.owner();
        Api laptop = accounts.signedIn(owner.email(), Fixtures.PASSWORD);
        Api phone = accounts.signedIn(owner.email(), Fixtures.PASSWORD);

        Api.Response changed = laptop.put("/api/v1/account/password",
                Map.of("currentPassword", Fixtures.PASSWORD, "newPassword", TestAccounts.NEW_PASSWORD));

        assertThat(changed.status()).as(changed.toString()).isEqualTo(204);
        assertThat(laptop.get("/api/v1/account").status()).isEqualTo(200);
        assertThat(phone.get("/api/v1/account").status()).isEqualTo(401);
        assertThat(TestAccounts.login(accounts.api(), owner.email(), TestAccounts.NEW_PASSWORD).status()).isEqualTo(200);
        assertThat(accounts.activity(owner.context())).contains("password_changed");
    }

    @Test
    void refusesAPasswordChangeWithTheWrongCurrentPassword() {
        Fixtures.TestUser owner = accounts.fixtures.owner();
        Api api = accounts.signedIn(owner.email(), Fixtures.PASSWORD);

        Api.Response refused = api.put("/api/v1/account/password",
                Map.of("currentPassword", "not my password", "newPassword", TestAccounts.NEW_PASSWORD));
        Api.Response weak = api.put("/api/v1/account/password",
                Map.of("currentPassword", Fixtures.PASSWORD, "newPassword", "too short"));

        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.json().path("errors").path(0).path("field").asString()).isEqualTo("currentPassword");
        assertThat(weak.status()).isEqualTo(400);
        assertThat(weak.json().path("errors").path(0).path("field").asString()).isEqualTo("newPassword");
        assertThat(TestAccounts.login(accounts.api(), owner.email(), Fixtures.PASSWORD).status()).isEqualTo(200);
    }

    @Test
    void aPasswordChangeVoidsOutstandingResetLinks() {
        Fixtures.TestUser owner = accounts.fixtures.owner();
        String token = requestReset(owner.email());
        Api api = accounts.signedIn(owner.email(), Fixtures.PASSWORD);
        api.put("/api/v1/account/password", Map.of("currentPassword", Fixtures.PASSWORD, "newPassword", TestAccounts.NEW_PASSWORD));

        Api.Response reset = accounts.api().post("/api/v1/auth/password-reset/confirm",
                Map.of("token", token, "password", "the attacker's passphrase"));

        assertThat(reset.status()).isEqualTo(400);
    }
}
