package io.virtdevice.accounts;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.env.Environment;

/**
 * Nobody gets a session row before signing in: crawlers, monitors and scripts hitting public pages, pages
 * that need a sign-in, the API and failed sign-ins leave nothing in {@code spring_session} (rows that
 * would live 12 hours each). The one exception is the OAuth authorization request, which must be
 * remembered across the sign-in it sends the browser to.
 */
@IntegrationTest
class AnonymousSessionTests {

    private static final Map<String, String> HTML = Map.of("Accept", "text/html");
    private static final List<String> PATHS = List.of("/", "/login", "/login?error", "/login?logout", "/signup",
            "/reset-password", "/verify-email?token=vdv_nothing", "/invitation?token=vdi_nothing", "/settings",
            "/account", "/no/such/page", "/favicon.ico", "/actuator/health", "/v3/api-docs",
            "/api/v1/auth/csrf", "/api/v1/device-types", "/api/v1/devices", "/api/v1/account", "/api/v1/nothing",
            "/t/vdt_nothing", "/.well-known/oauth-authorization-server");

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
    void anonymousRequestsCreateNoSession() {
        long before = anonymousSessions();

        for (int round = 0; round < 5; round++) {
            for (String path : PATHS) {
                for (Map<String, String> headers : List.of(HTML, Map.<String, String>of())) {
                    Api stranger = new Api(port);
                    Api.Response response = stranger.send("GET", path, null, headers);
                    assertThat(response.status()).as(path).isLessThan(500);
                    assertThat(stranger.cookies()).as(path + " " + headers).doesNotContainKey("VDSESSION");
                }
            }
        }

        assertThat(anonymousSessions()).isEqualTo(before);
    }

    @Test
    void failedSignInsCreateNoSessionAndStillSayWhatWentWrong() {
        Fixtures.TestUser owner = accounts.fixtures.owner();
        long before = anonymousSessions();
        Api browser = new Api(port);
        String page = browser.send("GET", "/login", null, HTML).body();

        Api.Response json = accounts.api().post("/api/v1/auth/login",
                Map.of("email", owner.email(), "password", "nope"));
        Api.Response form = submitLogin(browser, page, owner.email(), "not the password at all");

        assertThat(json.status()).isEqualTo(401);
        assertThat(form.status()).isEqualTo(302);
        assertThat(form.header("Location")).contains("/login?error");
        assertThat(browser.cookies()).doesNotContainKey("VDSESSION");
        assertThat(browser.send("GET", form.header("Location").replaceFirst("^https?://[^/]+", ""), null, HTML).body())
                .contains("Invalid email or password.");
        assertThat(anonymousSessions()).isEqualTo(before);
    }

    @Test
    void signingInStillStartsASession() {
        Fixtures.TestUser owner = accounts.fixtures.owner();
        Api browser = new Api(port);
        String page = browser.send("GET", "/login", null, HTML).body();

        Api.Response submitted = submitLogin(browser, page, owner.email(), Fixtures.PASSWORD);

        assertThat(submitted.status()).isEqualTo(302);
        assertThat(browser.cookies()).containsKey("VDSESSION");
        assertThat(browser.get("/api/v1/account").status()).isEqualTo(200);
        assertThat(accounts.count("select count(*) from spring_session where principal_name = ?",
                owner.userId().toString())).isEqualTo(1);
    }

    private long anonymousSessions() {
        return accounts.count("select count(*) from spring_session where principal_name is null");
    }

    static Api.Response submitLogin(Api browser, String loginPage, String email, String password) {
        Matcher csrf = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"").matcher(loginPage);
        assertThat(csrf.find()).as("the form carries a CSRF field").isTrue();
        return browser.send("POST", "/login", "username=" + encode(email) + "&password=" + encode(password)
                + "&_csrf=" + encode(csrf.group(1)), Map.of("Content-Type", "application/x-www-form-urlencoded"));
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
