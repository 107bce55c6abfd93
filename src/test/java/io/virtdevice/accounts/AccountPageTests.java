package io.virtdevice.accounts;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.MailSink;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.env.Environment;

/** The mailed links work in a browser: each opens a page whose form does the work on POST. */
@IntegrationTest
class AccountPageTests {

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

    private static Api.Response page(Api browser, String path) {
        Api.Response page = browser.send("GET", path, null, Map.of("Accept", "text/html"));
        assertThat(page.status()).as(path + " -> " + page).isEqualTo(200);
        return page;
    }

    /** Submits the page's form (with its CSRF field) to the path. */
    private static Api.Response submit(Api browser, Api.Response page, String path, Map<String, String> fields) {
        Matcher csrf = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"").matcher(page.body());
        assertThat(csrf.find()).as("the form carries a CSRF field").isTrue();
        Map<String, String> form = new LinkedHashMap<>(fields);
        form.put("_csrf", csrf.group(1));
        String body = form.entrySet().stream()
                .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        return browser.send("POST", path, body,
                Map.of("Content-Type", "application/x-www-form-urlencoded", "Accept", "text/html"));
    }

    @Test
    void signsUpAndConfirmsTheEmailInTheBrowser() {
        Api browser = new Api(port);
        String email = Fixtures.uniqueEmail("page-signup");

        Api.Response signedUp = submit(browser, page(browser, "/signup"), "/signup", Map.of(
                "tenantName", "Page Home", "name", "Pat", "email", email, "password", Fixtures.PASSWORD));
        assertThat(signedUp.body()).contains("Check your inbox");
        String token = MailSink.token(email, "Confirm your email", "/verify-email");

        Api.Response confirmPage = page(browser, "/verify-email?token=" + token);
        assertThat(accounts.count("select count(*) from users where email = ? and email_verified", email))
                .as("opening the link alone verifies nothing").isZero();
        Api.Response confirmed = submit(browser, confirmPage, "/verify-email", Map.of("token", token));

        assertThat(confirmed.body()).contains("Email address confirmed");
        assertThat(accounts.count("select count(*) from users where email = ? and email_verified", email)).isEqualTo(1);
        assertThat(submit(browser, confirmPage, "/verify-email", Map.of("token", token)).body())
                .contains("This link does not work");
    }

    @Test
    void showsSignUpMistakesOnTheForm() {
        Api browser = new Api(port);

        Api.Response refused = submit(browser, page(browser, "/signup"), "/signup", Map.of(
                "tenantName", "Page Home", "email", Fixtures.uniqueEmail("page-weak"), "password", "short"));

        assertThat(refused.status()).isEqualTo(200);
        assertThat(refused.body()).contains("password:").contains("Page Home");
    }

    @Test
    void resetsThePasswordInTheBrowser() {
        Fixtures.TestUser owner = accounts.fixtures.owner();
        Api browser = new Api(port);

        Api.Response requested = submit(browser, page(browser, "/reset-password"), "/reset-password",
                Map.of("email", owner.email()));
        assertThat(requested.body()).contains("Check your inbox");
        String token = MailSink.token(owner.email(), "Reset your", "/reset-password");

        Api.Response reset = submit(browser, page(browser, "/reset-password?token=" + token), "/reset-password",
                Map.of("token", token, "password", TestAccounts.NEW_PASSWORD));

        assertThat(reset.body()).contains("Password changed");
        assertThat(TestAccounts.login(accounts.api(), owner.email(), TestAccounts.NEW_PASSWORD).status()).isEqualTo(200);
    }

    @Test
    void acceptsAnInvitationInTheBrowserAndSignsIn() {
        Fixtures.TestUser owner = accounts.fixtures.owner();
        Api ownerApi = accounts.signedIn(owner.email(), Fixtures.PASSWORD);
        String email = Fixtures.uniqueEmail("page-invitee");
        ownerApi.post("/api/v1/team/invitations", Map.of("email", email, "role", "member"));
        String token = MailSink.token(email, "invited", "/invitation");
        Api browser = new Api(port);

        Api.Response accepted = submit(browser, page(browser, "/invitation?token=" + token), "/invitation",
                Map.of("token", token, "name", "Quinn", "password", Fixtures.PASSWORD));

        assertThat(accepted.status()).as(accepted.toString()).isEqualTo(302);
        assertThat(page(browser, "/").body()).contains(email);
        assertThat(browser.get("/api/v1/account").json().path("role").asString()).isEqualTo("member");
    }
}
