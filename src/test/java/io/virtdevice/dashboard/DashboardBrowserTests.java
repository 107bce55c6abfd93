package io.virtdevice.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.virtdevice.alexa.AlexaLinking;
import io.virtdevice.alexa.AlexaRegion;
import io.virtdevice.oauth.OAuthFlow;
import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.MailSink;
import io.virtdevice.testing.WebhookReceiver;
import io.virtdevice.testing.fakes.FakeEventGateway;
import io.virtdevice.testing.fakes.FakeLoginWithAmazon;
import java.time.Duration;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * The dashboard in a real browser (headless Chromium) against the running app, its real PostgreSQL and the
 * GreenMail SMTP sink: the paths a newcomer takes, live updates from the API and from another tab, webhooks,
 * and a member refused the team settings by the server. Every main page is scanned by axe-core and
 * photographed at 1280 and 390 px ({@code target/screenshots}).
 */
@IntegrationTest
class DashboardBrowserTests {

    private static Browser browser;

    @LocalServerPort
    int port;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    @Autowired
    FakeLoginWithAmazon lwa;

    @BeforeAll
    static void startMail() {
        MailSink.start();
    }

    @BeforeEach
    void freshBrowser() {
        if (browser == null) {
            browser = new Browser(port);
        }
        browser.driver.manage().deleteAllCookies();
    }

    @AfterAll
    static void stopBrowser() {
        if (browser != null) {
            browser.close();
            browser = null;
        }
    }

    @Test
    void newcomerSignsUpVerifiesAndWatchesADimmerChangeLive() {
        browser.open("/");
        browser.check("landing");
        String email = Fixtures.uniqueEmail("browser");

        browser.open("/signup");
        browser.check("signup");
        browser.find("input[name=tenantName]").sendKeys("Browser Home");
        browser.find("input[name=name]").sendKeys("Bea");
        browser.find("input[name=email]").sendKeys(email);
        browser.find("input[name=password]").sendKeys(Fixtures.PASSWORD);
        browser.find("form button[type=submit]").click();
        browser.awaitText("h1", "Check your inbox");

        String token = MailSink.token(email, "Confirm your email", "/verify-email");
        browser.open("/verify-email?token=" + token);
        browser.find("form button[type=submit]").click();
        browser.awaitText("h1", "Email address confirmed");

        signIn(email);
        browser.awaitText("h1", "Devices");
        browser.awaitLive();
        assertThat(browser.find("#allowance").getText()).contains("0 devices");

        browser.find("#new-name").sendKeys("Desk lamp");
        new Select(browser.find("#new-type")).selectByValue("dimmer");
        browser.find("#create-device").click();
        browser.awaitText(".notice", "Desk lamp");
        WebElement card = browser.find("article.card");
        String id = card.getAttribute("id").substring("device-".length());
        browser.awaitLive();
        browser.check("devices");

        // a change through the REST API shows on the open page, without a reload
        Api api = signedInApi(email);
        Api.Response put = api.put("/api/v1/devices/" + id + "/properties", Map.of("power", true, "brightness", 30));
        assertThat(put.status()).as(put.toString()).isEqualTo(200);
        browser.awaitText("#device-" + id + "-state", "On · 30%");

        // the slider, by keyboard: End sets 100 %, which the API then reports
        WebElement slider = browser.find("#brightness-" + id);
        slider.sendKeys(Keys.END);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(api.get("/api/v1/devices/" + id).json().path("properties").path("brightness").path("value")
                        .asInt()).isEqualTo(100));
        browser.awaitText("#device-" + id + "-state", "On · 100%");

        // two tabs stay in step: a toggle in the second shows in the first
        String first = browser.driver.getWindowHandle();
        browser.newTab();
        browser.open("/devices");
        browser.awaitLive();
        browser.find("#device-" + id + "-toggle").click();
        browser.awaitText("#device-" + id + "-state", "Off · 100%");
        browser.driver.close();
        browser.driver.switchTo().window(first);
        browser.awaitText("#device-" + id + "-state", "Off · 100%");

        // the device's page: properties, Alexa endpoint id, a URL trigger shown once, the chart
        browser.find("#device-" + id + "-name a").click();
        browser.awaitText("h1", "Desk lamp");
        assertThat(browser.find("#alexa-endpoint-id").getText()).isNotBlank();
        browser.find("#trigger-name").sendKeys("Phone");
        browser.find("#create-trigger").click();
        browser.awaitText("#issued-link", "shown only this once");
        String link = browser.find("#trigger-url").getAttribute("value");
        assertThat(link).contains("/t/");
        assertThat(browser.find("#example-curl").getText()).contains(link);
        assertThat(browser.all(".chart svg path.line")).hasSize(1);
        browser.awaitLive();
        browser.check("device");

        // the device page's card is live too
        api.put("/api/v1/devices/" + id + "/properties", Map.of("power", true));
        browser.awaitText("#device-" + id + "-state", "On · 100%");

        browser.open("/activity");
        browser.awaitText("#activity-table", "property changed");
        assertThat(browser.find("#activity-table").getText()).contains("brightness: 30 → 100");
        browser.check("activity");
        browser.open("/settings");
        browser.check("settings");
        browser.open("/connected-apps");
        browser.check("connected-apps");
        browser.open("/integrations/alexa");
        browser.awaitText("main", "Not linked");
        assertThat(browser.find("main").getText()).contains("Desk lamp").contains("LIGHT");
        browser.check("alexa");
    }

    @Test
    void aWebhookCreatedInTheBrowserShowsItsDeliveries() throws Exception {
        Fixtures.TestUser owner = new Fixtures(dataSource, hasher).owner();
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            signIn(owner.email());
            browser.open("/webhooks");
            browser.find("#webhook-url").sendKeys(receiver.url("/hook"));
            browser.find("#create-webhook").click();
            browser.awaitText(".notice", "shown only this once");
            assertThat(browser.find("#webhook-secret").getAttribute("value")).startsWith("whsec_");
            browser.check("webhook-created");

            browser.find("#send-test").click();
            browser.awaitText(".notice", "test event");
            browser.waiting().withMessage("a delivery in the log").until(d -> {
                d.navigate().refresh();
                return !d.findElements(By.cssSelector("#deliveries")).isEmpty()
                        && d.findElement(By.cssSelector("#deliveries")).getText().contains("succeeded");
            });
            assertThat(browser.find("#deliveries").getText()).contains("webhook.test").contains("200");
            browser.check("webhook");
            browser.open("/webhooks");
            browser.check("webhooks");

            browser.open("/api-keys");
            browser.find("#key-name").sendKeys("Home server");
            browser.find("#create-key").click();
            browser.awaitText("#issued-key", "shown only this once");
            String key = browser.find("#api-key").getAttribute("value");
            assertThat(new Api(port).bearer(key).get("/api/v1/devices").status()).isEqualTo(200);
            browser.check("api-keys");
        }
    }

    @Test
    void aMemberIsRefusedTheTeamSettingsByTheServer() {
        Fixtures.TestUser owner = new Fixtures(dataSource, hasher).owner();
        Api ownerApi = signedInApi(owner.email());
        String memberEmail = Fixtures.uniqueEmail("member");
        Api.Response invited = ownerApi.post("/api/v1/team/invitations", Map.of("email", memberEmail, "role", "member"));
        assertThat(invited.status()).as(invited.toString()).isEqualTo(201);
        String token = MailSink.token(memberEmail, "invited", "/invitation");
        Api.Response accepted = new Api(port).withCsrf().post("/api/v1/auth/invitations/accept",
                Map.of("token", token, "name", "Max", "password", Fixtures.PASSWORD));
        assertThat(accepted.status()).as(accepted.toString()).isEqualTo(201);

        signIn(owner.email());
        browser.open("/team");
        browser.awaitText("main", memberEmail);
        browser.check("team");

        browser.driver.manage().deleteAllCookies();
        signIn(memberEmail);
        browser.awaitText("h1", "Devices");
        assertThat(browser.all("nav a[href='/team']")).isEmpty();
        browser.open("/team");
        browser.awaitText("h1", "not allowed");
        assertThat(browser.driver.getPageSource()).doesNotContain(owner.email());

        Api member = signedInApi(memberEmail);
        assertThat(member.get("/team").status()).isEqualTo(403);
        assertThat(member.post("/api/v1/team/invitations", Map.of("email", "x@example.com", "role", "member"))
                .status()).isEqualTo(403);
    }

    @Test
    void aLinkedUserTestFiresADeviceAndSeesAmazonsAnswerAndTheEvent() {
        Fixtures.TestUser owner = new Fixtures(dataSource, hasher).owner();
        AlexaLinking link = AlexaLinking.link(port, lwa, owner, AlexaRegion.EU);
        Api api = new Api(port).bearer(owner.apiKey());
        String id = createDevice(api, "Front door", "contact_sensor");

        signIn(owner.email());
        browser.open("/devices/" + id);
        browser.awaitText("#alexa-diagnostics", "Routines can fire.");
        assertThat(browser.find("#alexa-health").getText()).contains("active").contains("EU");
        browser.find("#alexa-test-fire-" + id).click();
        browser.awaitText("#alexa-fire-" + id, "Amazon answered 202");
        assertThat(browser.find("#alexa-fire-" + id).getText()).containsPattern("in \\d+ ms").contains("EU");
        WebElement events = browser.find("#alexa-events-" + id);
        assertThat(events.getText()).contains("ChangeReport").contains("test").contains("sent");
        FakeEventGateway.Received received = FakeEventGateway.shared().received().stream()
                .filter(r -> link.issued(r.token()) && "ChangeReport".equals(r.name())).findFirst().orElseThrow();
        assertThat(received.accepted()).isTrue();
        browser.awaitLive();
        browser.check("device-alexa");

        browser.open("/integrations/alexa");
        browser.awaitText("#alexa-health", "Routines can fire.");
        browser.find("details.device-events summary").click();
        browser.awaitText("#alexa-events-" + id, "ChangeReport");
        browser.check("alexa-linked");

        // a user who never linked sees why, in place, when pressing Test fire
        Fixtures.TestUser other = new Fixtures(dataSource, hasher).owner();
        String otherId = createDevice(new Api(port).bearer(other.apiKey()), "Hall motion", "motion_sensor");
        browser.driver.manage().deleteAllCookies();
        signIn(other.email());
        browser.open("/devices/" + otherId);
        browser.awaitText("#alexa-summary", "Alexa is not linked");
        browser.find("#alexa-test-fire-" + otherId).click();
        browser.awaitText("#alexa-fire-" + otherId, "link your account first");
        browser.check("device-alexa-unlinked");
    }

    @Test
    void aMomentarySensorPulsesFromItsCardAndAnOfflineDeviceShowsItLive() {
        Fixtures.TestUser owner = new Fixtures(dataSource, hasher).owner();
        Api api = new Api(port).bearer(owner.apiKey());
        String id = createDevice(api, "Porch motion", "motion_sensor");

        signIn(owner.email());
        browser.open("/devices/" + id);
        assertThat(browser.all("#device-" + id + "-pulse")).isEmpty();
        browser.find("#momentary").click();
        WebElement seconds = browser.find("#pulse-seconds");
        seconds.clear();
        seconds.sendKeys("2");
        browser.find("#save-momentary").click();
        browser.awaitText(".notice", "resets after 2 s");
        Api.Response saved = api.get("/api/v1/devices/" + id);
        assertThat(saved.json().path("momentary").asBoolean()).isTrue();
        assertThat(saved.json().path("pulseSeconds").asInt()).isEqualTo(2);

        // Pulse: detected now, back to no motion by itself (the system's reset reaches the page live)
        browser.awaitLive();
        browser.find("#device-" + id + "-pulse").click();
        browser.awaitText("#device-" + id + "-state", "Motion detected");
        // the reset runs in this instance at its due time, whatever else db-scheduler is busy with (PulseResets;
        // PulseResetUnderLoadTests): first the stored state, then the page, so a failure says which of the two lagged
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                assertThat(api.get("/api/v1/devices/" + id).json().path("properties").path("motion").path("value")
                        .asString()).as("motion after the pulse's reset, through the API").isEqualTo("not_detected"));
        browser.awaitText("#device-" + id + "-state", "No motion");

        // offline from the page; online again through the API, seen live on the grid
        browser.find("#toggle-online").click();
        browser.awaitText(".notice", "Marked offline");
        assertThat(api.get("/api/v1/devices/" + id).json().path("online").asBoolean()).isFalse();
        assertThat(browser.find("#device-" + id).getText()).contains("Offline");
        assertThat(browser.find("#toggle-online").getText()).isEqualTo("Mark online");
        browser.awaitLive();
        browser.check("device-momentary-offline");

        browser.open("/devices");
        browser.awaitLive();
        assertThat(browser.find("#device-" + id).getText()).contains("Offline");
        // a property change keeps the badge (the live card reads the device's flags)
        api.put("/api/v1/devices/" + id + "/properties", Map.of("motion", "detected"));
        browser.awaitText("#device-" + id + "-state", "Motion detected");
        assertThat(browser.find("#device-" + id).getText()).contains("Offline");
        Api.Response online = api.patch("/api/v1/devices/" + id, Map.of("online", true));
        assertThat(online.status()).as(online.toString()).isEqualTo(200);
        browser.waiting().withMessage("the Offline badge gone live")
                .until(d -> !d.findElement(By.id("device-" + id)).getText().contains("Offline"));
        browser.check("devices-momentary");
    }

    @Test
    void aUserConnectsIftttAndSeesTheAppletsTriggerInWordsWithItsLastPoll() {
        Fixtures.TestUser owner = new Fixtures(dataSource, hasher).owner();
        Api api = new Api(port).bearer(owner.apiKey());
        String id = createDevice(api, "Porch light", "switch");
        String iftttId = api.get("/api/v1/devices/" + id).json().path("iftttDeviceId").asString();

        signIn(owner.email());
        browser.open("/integrations/ifttt");
        browser.awaitText("#ifttt-connection", "Not connected");
        assertThat(browser.find("#ifttt-how-to-connect").getText()).contains("search for the VirtDevice service");
        assertThat(browser.find("#ifttt-count").getText()).isEqualTo("0 triggers");
        assertThat(browser.find("nav a[aria-current=page]").getText()).isEqualTo("IFTTT");
        browser.check("ifttt-not-connected");

        // IFTTT connects through the real authorization-code flow and polls the applet's trigger over HTTP
        OAuthFlow.Tokens tokens = new OAuthFlow(port).link(OAuthFlow.IFTTT, "ifttt", owner.email());
        assertThat(api.put("/api/v1/devices/" + id + "/properties", Map.of("power", true)).status()).isEqualTo(200);
        Api.Response polled = new Api(port).bearer(tokens.accessToken()).post("/ifttt/v1/triggers/device_turned_on",
                Map.of("trigger_identity", "porch-applet", "triggerFields", Map.of("device", iftttId), "limit", 5));
        assertThat(polled.status()).as(polled.toString()).isEqualTo(200);
        assertThat(polled.json().path("data")).hasSize(1);

        browser.open("/integrations/ifttt");
        browser.awaitText("#ifttt-connection", "Connected since");
        assertThat(browser.find("#ifttt-count").getText()).isEqualTo("1 trigger");
        String lastPoll = browser.find("#ifttt-last-poll").getText();
        assertThat(lastPoll).matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC");
        WebElement row = browser.find("#ifttt-identity-porch-applet");
        assertThat(row.getText()).contains("Device turned on").contains("Porch light turns on").contains(lastPoll)
                .doesNotContain(iftttId);
        assertThat(browser.find("#ifttt-last-notice").getText()).isEqualTo("never");
        browser.check("ifttt-connected");
    }

    private static String createDevice(Api api, String name, String type) {
        Api.Response created = api.post("/api/v1/devices", Map.of("name", name, "type", type));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        return created.json().path("id").asString();
    }

    private void signIn(String email) {
        browser.signIn(email, Fixtures.PASSWORD);
    }

    private Api signedInApi(String email) {
        Api api = new Api(port).withCsrf();
        Api.Response login = api.post("/api/v1/auth/login", Map.of("email", email, "password", Fixtures.PASSWORD));
        assertThat(login.status()).as(login.toString()).isEqualTo(200);
        return api;
    }
}
