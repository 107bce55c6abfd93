package io.virtdevice.accounts;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.env.Environment;

@IntegrationTest
class LoginTests {

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

    @Test
    void signsInAndRecordsTheLogin() {
        Fixtures.TestUser owner = accounts.fixtures.owner();
        Api api = accounts.api();

        Api.Response response = TestAccounts.login(api, owner.email().toUpperCase(java.util.Locale.ROOT), Fixtures.PASSWORD);

        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        assertThat(response.json().path("user").path("id").asString()).isEqualTo(owner.userId().toString());
        assertThat(response.headers().get("set-cookie")).anySatisfy(cookie -> assertThat(cookie)
                .startsWith("VDSESSION=").contains("HttpOnly").contains("SameSite=Lax"));
        assertThat(accounts.count("select count(*) from spring_session where principal_name = ?", owner.userId().toString()))
                .isEqualTo(1);
        assertThat(api.get("/api/v1/account").json().path("email").asString()).isEqualTo(owner.email());
        assertThat(accounts.activity(owner.context())).containsExactly("user_login");
        assertThat(accounts.count("select count(*) from users where id = ? and last_login_at is not null", owner.userId()))
                .isEqualTo(1);
    }

    @Test
    void answersAWrongPasswordAndAnUnknownEmailIdentically() {
        Fixtures.TestUser owner = accounts.fixtures.owner();
        Api api = accounts.api();

        Api.Response wrongPassword = TestAccounts.login(api, owner.email(), "not the password at all");
        Api.Response unknownEmail = TestAccounts.login(api, Fixtures.uniqueEmail("nobody"), "not the password at all");

        assertThat(wrongPassword.status()).isEqualTo(401);
        assertThat(unknownEmail.status()).isEqualTo(401);
        assertThat(unknownEmail.body()).isEqualTo(wrongPassword.body());
        assertThat(wrongPassword.json().path("type").asString()).endsWith("/invalid-credentials");
        assertThat(api.cookies()).doesNotContainKey("VDSESSION");
    }

    @Test
    void throttlesAnEmailAfterTenFailures() {
        Fixtures.TestUser owner = accounts.fixtures.owner();
        Api api = accounts.api();
        for (int i = 0; i < 10; i++) {
            assertThat(TestAccounts.login(api, owner.email(), "wrong password " + i).status()).isEqualTo(401);
        }

        // even the right password waits now: the throttle does not tell right from wrong
        Api.Response throttled = TestAccounts.login(api, owner.email(), Fixtures.PASSWORD);

        assertThat(throttled.status()).as(throttled.toString()).isEqualTo(429);
        assertThat(Integer.parseInt(throttled.header("Retry-After"))).isBetween(1, 900);
        assertThat(throttled.json().path("type").asString()).endsWith("/too-many-requests");
    }

    @Test
    void givesANewSessionIdOnSignIn() throws Exception {
        Fixtures.TestUser owner = accounts.fixtures.owner();
        Api api = accounts.api();
        accounts.startAnonymousSession(api);
        String anonymous = api.cookies().get("VDSESSION");

        TestAccounts.login(api, owner.email(), Fixtures.PASSWORD);
        String first = api.cookies().get("VDSESSION");
        TestAccounts.login(api, owner.email(), Fixtures.PASSWORD);
        String second = api.cookies().get("VDSESSION");

        assertThat(first).isNotNull().isNotEqualTo(anonymous);
        assertThat(second).isNotNull().isNotEqualTo(first);
        assertThat(api.get("/api/v1/account").status()).isEqualTo(200);
        for (String stale : new String[] {anonymous, first}) {
            Api old = new Api(port);
            old.cookies().put("VDSESSION", stale);
            assertThat(old.get("/api/v1/account").status()).isEqualTo(401);
        }
    }

    @Test
    void refusesACookieAuthenticatedWriteWithoutTheCsrfToken() {
        Fixtures.TestUser owner = accounts.fixtures.owner();
        Api api = accounts.signedIn(owner.email(), Fixtures.PASSWORD);
        String token = api.cookies().remove("XSRF-TOKEN");

        Api.Response logout = api.post("/api/v1/auth/logout", null);
        // a 403 hands out a fresh cookie; a cross-site attacker could not read it, so drop it again
        api.cookies().remove("XSRF-TOKEN");
        Api.Response rename = api.patch("/api/v1/account", Map.of("name", "Mallory"));

        assertThat(logout.status()).isEqualTo(403);
        assertThat(rename.status()).isEqualTo(403);
        assertThat(rename.json().path("detail").asString()).contains("CSRF");
        assertThat(api.get("/api/v1/account").json().path("name").asString()).isEqualTo("Test Owner");
        api.cookies().put("XSRF-TOKEN", token);
        assertThat(api.patch("/api/v1/account", Map.of("name", "Ann")).status()).isEqualTo(200);
    }

    @Test
    void signingOutEndsTheSession() {
        Fixtures.TestUser owner = accounts.fixtures.owner();
        Api api = accounts.signedIn(owner.email(), Fixtures.PASSWORD);
        String session = api.cookies().get("VDSESSION");

        assertThat(api.post("/api/v1/auth/logout", null).status()).isEqualTo(204);

        assertThat(api.get("/api/v1/account").status()).isEqualTo(401);
        Api replay = new Api(port);
        replay.cookies().put("VDSESSION", session);
        assertThat(replay.get("/api/v1/account").status()).isEqualTo(401);
        assertThat(accounts.activity(owner.context())).containsExactly("user_login", "user_logout");
    }

    @Test
    void formLoginSignsInThroughTheSameLogin() {
        Fixtures.TestUser owner = accounts.fixtures.owner();
        Api browser = new Api(port);

        Api.Response page = browser.send("GET", "/login", null, Map.of("Accept", "text/html"));
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.body()).contains("href=\"/signup\"").contains("href=\"/reset-password\"");
        Api.Response submitted = submitLogin(browser, page.body(), owner.email(), Fixtures.PASSWORD);

        assertThat(submitted.status()).isEqualTo(302);
        assertThat(submitted.header("Location")).endsWith("/");
        Api.Response home = browser.send("GET", "/", null, Map.of("Accept", "text/html"));
        assertThat(home.body()).contains(owner.email());
        assertThat(browser.get("/api/v1/account").status()).isEqualTo(200);
        assertThat(accounts.activity(owner.context())).containsExactly("user_login");

        Api.Response signedOut = submitForm(browser, home.body(), "/logout", "");

        assertThat(signedOut.header("Location")).endsWith("/login?logout");
        assertThat(browser.get("/api/v1/account").status()).isEqualTo(401);
        assertThat(accounts.activity(owner.context())).containsExactly("user_login", "user_logout");
    }

    @Test
    void formLoginRefusesAWrongPassword() {
        Fixtures.TestUser owner = accounts.fixtures.owner();
        Api browser = new Api(port);
        String page = browser.send("GET", "/login", null, Map.of("Accept", "text/html")).body();

        Api.Response submitted = submitLogin(browser, page, owner.email(), "not the password at all");

        assertThat(submitted.status()).isEqualTo(302);
        assertThat(submitted.header("Location")).endsWith("/login?error");
        assertThat(browser.send("GET", "/login?error", null, Map.of("Accept", "text/html")).body())
                .contains("Invalid email or password.");
        assertThat(browser.get("/api/v1/account").status()).isEqualTo(401);
    }

    @Test
    void homePageOffersSignInToStrangers() {
        Api.Response home = new Api(port).send("GET", "/", null, Map.of("Accept", "text/html"));

        assertThat(home.status()).isEqualTo(200);
        assertThat(home.body()).contains("href=\"/login\"");
    }

    private static Api.Response submitLogin(Api browser, String loginPage, String email, String password) {
        return submitForm(browser, loginPage, "/login", "username=" + encode(email) + "&password=" + encode(password) + "&");
    }

    private static Api.Response submitForm(Api browser, String page, String path, String fields) {
        Matcher csrf = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"").matcher(page);
        assertThat(csrf.find()).as("the form carries a CSRF field").isTrue();
        return browser.send("POST", path, fields + "_csrf=" + encode(csrf.group(1)),
                Map.of("Content-Type", "application/x-www-form-urlencoded"));
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
