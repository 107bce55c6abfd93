package io.virtdevice.accounts;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.platform.tenancy.TenantContext;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.MailSink;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.env.Environment;

@IntegrationTest
class SignUpTests {

    private static final String PASSWORD = "correct horse battery staple";

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

    static Map<String, Object> signUp(String email, String slug) {
        Map<String, Object> body = new HashMap<>();
        body.put("tenantName", "The Smiths");
        body.put("email", email);
        body.put("password", PASSWORD);
        body.put("name", "Ann Smith");
        if (slug != null) {
            body.put("tenantSlug", slug);
        }
        return body;
    }

    @Test
    void signsUpVerifiesTheEmailAndSignsIn() {
        String email = Fixtures.uniqueEmail("signup");
        String slug = Fixtures.uniqueSlug("smiths");
        Api api = accounts.api();

        Api.Response signedUp = api.post("/api/v1/auth/signup", signUp(email, slug));
        assertThat(signedUp.status()).as(signedUp.toString()).isEqualTo(202);
        String token = MailSink.token(email, "Confirm your email", "/verify-email");
        assertThat(token).startsWith("vdv_");

        Api.Response login = TestAccounts.login(api, email, PASSWORD);
        assertThat(login.status()).as(login.toString()).isEqualTo(200);
        assertThat(login.json().path("user").path("emailVerified").asBoolean()).isFalse();

        assertThat(api.post("/api/v1/auth/verify-email", Map.of("token", token)).status()).isEqualTo(204);

        Api.Response account = api.get("/api/v1/account");
        assertThat(account.status()).isEqualTo(200);
        var json = account.json();
        assertThat(json.path("email").asString()).isEqualTo(email);
        assertThat(json.path("name").asString()).isEqualTo("Ann Smith");
        assertThat(json.path("role").asString()).isEqualTo("owner");
        assertThat(json.path("emailVerified").asBoolean()).isTrue();
        assertThat(json.path("tenant").path("name").asString()).isEqualTo("The Smiths");
        assertThat(json.path("tenant").path("slug").asString()).isEqualTo(slug);
        assertThat(json.path("plan").path("tier").asString()).isEqualTo("free");
        assertThat(json.path("plan").path("maxDevices").asInt()).isEqualTo(2);
        assertThat(json.path("plan").path("status").asString()).isEqualTo("active");

        TenantContext owner = new TenantContext(UUID.fromString(json.path("tenant").path("id").asString()),
                UUID.fromString(json.path("id").asString()));
        assertThat(accounts.activity(owner)).containsExactly("user_signed_up", "user_login", "email_verified");
    }

    @Test
    void refusesAVerificationTokenTwice() {
        String email = Fixtures.uniqueEmail("verify-twice");
        Api api = accounts.api();
        api.post("/api/v1/auth/signup", signUp(email, null));
        String token = MailSink.token(email, "Confirm your email", "/verify-email");

        assertThat(api.post("/api/v1/auth/verify-email", Map.of("token", token)).status()).isEqualTo(204);
        Api.Response again = api.post("/api/v1/auth/verify-email", Map.of("token", token));

        assertThat(again.status()).isEqualTo(400);
        assertThat(again.json().path("type").asString()).endsWith("/invalid-token");
        assertThat(api.post("/api/v1/auth/verify-email", Map.of("token", "vdv_forged")).status()).isEqualTo(400);
    }

    @Test
    void answersADuplicateEmailIdenticallyAndCreatesNothing() {
        String email = Fixtures.uniqueEmail("duplicate");
        Api api = accounts.api();
        Api.Response first = api.post("/api/v1/auth/signup", signUp(email, Fixtures.uniqueSlug("first")));
        MailSink.await(email, "Confirm your email");
        long tenantsBefore = accounts.count("select count(*) from tenants");

        String secondSlug = Fixtures.uniqueSlug("second");
        Api.Response second = api.post("/api/v1/auth/signup", signUp(email.toUpperCase(java.util.Locale.ROOT), secondSlug));

        assertThat(second.status()).isEqualTo(first.status()).isEqualTo(202);
        assertThat(second.body()).isEqualTo(first.body());
        assertThat(accounts.count("select count(*) from tenants where slug = ?", secondSlug)).isZero();
        assertThat(accounts.count("select count(*) from users where email = ?", email)).isEqualTo(1);
        assertThat(accounts.count("select count(*) from tenants")).isEqualTo(tenantsBefore);
        assertThat(MailSink.body(MailSink.await(email, "already have"))).contains("/reset-password");
    }

    @Test
    void refusesATakenSlugNamingTheFieldWhateverTheEmail() {
        String slug = Fixtures.uniqueSlug("taken");
        String email = Fixtures.uniqueEmail("slug-owner");
        Api api = accounts.api();
        assertThat(api.post("/api/v1/auth/signup", signUp(email, slug)).status()).isEqualTo(202);

        Api.Response newEmail = api.post("/api/v1/auth/signup", signUp(Fixtures.uniqueEmail("slug"), slug));
        Api.Response registeredEmail = api.post("/api/v1/auth/signup", signUp(email, slug));

        assertThat(newEmail.status()).isEqualTo(409);
        assertThat(newEmail.json().path("errors").path(0).path("field").asString()).isEqualTo("tenantSlug");
        // the same answer for a registered email: a known slug must not reveal which emails have accounts
        assertThat(registeredEmail.status()).isEqualTo(409);
        assertThat(registeredEmail.body()).isEqualTo(newEmail.body());
    }

    @Test
    void refusesAWeakPasswordAndCreatesNothing() {
        String email = Fixtures.uniqueEmail("weak");
        Map<String, Object> body = signUp(email, null);
        body.put("password", "short pw");

        Api.Response response = accounts.api().post("/api/v1/auth/signup", body);

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.json().path("errors").path(0).path("field").asString()).isEqualTo("password");
        assertThat(accounts.count("select count(*) from users where email = ?", email)).isZero();
    }

    @Test
    void refusesUnknownFields() {
        Map<String, Object> body = signUp(Fixtures.uniqueEmail("unknown-field"), null);
        body.put("role", "admin");

        Api.Response response = accounts.api().post("/api/v1/auth/signup", body);

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.json().path("detail").asString()).contains("role");
    }

    @Test
    void refusesMalformedInputWithClientErrors() {
        Api api = accounts.api();
        List<Map<String, Object>> bodies = List.of(
                with("tenantName", "x".repeat(101)),
                with("tenantName", "   "),
                with("tenantSlug", "Not_A_Slug"),
                with("tenantSlug", "-leading-dash"),
                with("email", "not-an-email"),
                with("email", "a@b.c\r\nBcc: victim@example.com"),
                with("email", "x".repeat(250) + "@example.com"),
                with("password", "p".repeat(129)),
                with("name", "Ann\nSmith"),
                with("name", "n".repeat(101)));
        for (Map<String, Object> body : bodies) {
            Api.Response response = api.post("/api/v1/auth/signup", body);
            assertThat(response.status()).as(body + " -> " + response).isEqualTo(400);
        }
        assertThat(api.post("/api/v1/auth/signup", "{\"tenantName\":").status()).isEqualTo(400);
        assertThat(api.post("/api/v1/auth/signup", "[]").status()).isEqualTo(400);
    }

    private static Map<String, Object> with(String field, Object value) {
        Map<String, Object> body = signUp(Fixtures.uniqueEmail("bad"), null);
        body.put(field, value);
        return body;
    }

    @Test
    void derivesASlugFromTheNameWhenNoneIsGiven() {
        String email = Fixtures.uniqueEmail("derived");
        Api api = accounts.api();
        assertThat(api.post("/api/v1/auth/signup", signUp(email, null)).status()).isEqualTo(202);

        Api.Response login = TestAccounts.login(api, email, PASSWORD);

        assertThat(login.json().path("user").path("tenant").path("slug").asString()).matches("the-smiths-[a-z0-9]{6}");
    }

    @Test
    void resendsTheVerificationLinkUntilTheEmailIsVerified() {
        String email = Fixtures.uniqueEmail("resend");
        Api api = accounts.api();
        api.post("/api/v1/auth/signup", signUp(email, null));
        String first = MailSink.token(email, "Confirm your email", "/verify-email");
        TestAccounts.login(api, email, PASSWORD);

        assertThat(api.post("/api/v1/account/verification", null).status()).isEqualTo(202);
        String second = MailSink.token(MailSink.await(email, "Confirm your email", 2), "/verify-email");

        assertThat(second).isNotEqualTo(first);
        assertThat(api.post("/api/v1/auth/verify-email", Map.of("token", first)).status()).isEqualTo(400);
        assertThat(api.post("/api/v1/auth/verify-email", Map.of("token", second)).status()).isEqualTo(204);
        assertThat(api.post("/api/v1/account/verification", null).status()).isEqualTo(409);
    }
}
