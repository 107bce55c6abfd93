package io.virtdevice.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.MailSink;
import io.virtdevice.testing.fakes.FakeStripe;
import java.time.Instant;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.node.ObjectNode;

/**
 * The billing page in a real browser against the running app and the fake Stripe: a free owner at the limit
 * upgrades through (fake) Checkout, Stripe's signed webhook arrives, the page shows the new plan and a third
 * device can be created; the portal comes back to the page; a member sees the plan without the buttons.
 * Each state is scanned by axe-core and photographed ({@code target/screenshots/billing-*}).
 */
@IntegrationTest
class BillingBrowserTests {

    private static Browser browser;

    @LocalServerPort
    int port;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    @Autowired
    FakeStripe stripe;

    @BeforeAll
    static void startMail() {
        MailSink.start();
    }

    @AfterAll
    static void stopBrowser() {
        if (browser != null) {
            browser.close();
            browser = null;
        }
    }

    @Test
    void anOwnerAtTheFreeLimitUpgradesThroughCheckoutAndMembersSeeThePlanWithoutButtons() {
        browser = new Browser(port);
        stripe.appOrigin(browser.base);
        Fixtures.TestUser owner = new Fixtures(dataSource, hasher).owner(FakeStripe.FREE_DEVICES);
        Api api = new Api(port).bearer(owner.apiKey());
        for (String name : new String[] {"Hall light", "Porch light"}) {
            assertThat(api.post("/api/v1/devices", Map.of("name", name, "type", "switch")).status()).isEqualTo(201);
        }
        Api.Response refused = api.post("/api/v1/devices", Map.of("name", "Garage light", "type", "switch"));
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.json().path("upgrade").asString()).isEqualTo("/billing");

        browser.signIn(owner.email(), Fixtures.PASSWORD);
        browser.open("/billing");
        browser.awaitText("#plan-tier", "Free");
        assertThat(browser.find("#plan-usage").getText()).contains("2 of 2");
        assertThat(browser.all("#manage-billing")).isEmpty();
        browser.check("billing-free");

        browser.find("#upgrade-pro").click();
        browser.awaitText(".notice", "as soon as Stripe confirms");
        assertThat(stripe.checkouts()).hasSize(1);
        FakeStripe.CheckoutSession checkout = stripe.checkouts().getLast();
        assertThat(checkout.userId()).isEqualTo(owner.userId().toString());
        assertThat(checkout.params()).containsEntry("line_items[0][price]", FakeStripe.PRO_PRICE)
                .containsEntry("metadata[tenant_id]", owner.tenantId().toString());

        // Stripe confirms: the subscription exists and the signed event arrives
        String customer = FakeStripe.newId("cus");
        String subId = FakeStripe.newId("sub");
        ObjectNode sub = FakeStripe.subscription(subId, customer, owner.userId(), FakeStripe.PRO_PRICE, "active");
        stripe.put(sub);
        String event = FakeStripe.event("checkout.session.completed",
                FakeStripe.checkoutSession(owner.userId(), customer, subId), Instant.now());
        Api.Response delivered = new Api(port).send("POST", "/billing/stripe/webhook", event,
                Map.of("Content-Type", "application/json", "Stripe-Signature", FakeStripe.sign(event, Instant.now())));
        assertThat(delivered.status()).as(delivered.toString()).isEqualTo(200);

        browser.open("/billing");
        browser.awaitText("#plan-tier", "Pro");
        assertThat(browser.find("#plan-limit").getText()).isEqualTo(String.valueOf(FakeStripe.PRO_DEVICES));
        assertThat(browser.find("#plan-period-end").getText()).isNotBlank();
        assertThat(browser.all("#upgrade-pro")).isEmpty();
        browser.check("billing-pro");

        // the new limit is usable: a third device from the devices page
        browser.open("/devices");
        browser.find("#new-name").sendKeys("Garage light");
        browser.find("#create-device").click();
        browser.awaitText(".notice", "Garage light");
        assertThat(browser.find("#allowance").getText()).contains("3 devices");

        // the customer portal comes back to the billing page
        browser.open("/billing");
        browser.find("#manage-billing").click();
        browser.awaitText("h1", "Billing");
        assertThat(stripe.portalCustomers()).contains(customer);

        // a member sees the owner's plan, but no buttons
        String memberEmail = Fixtures.uniqueEmail("member");
        Api ownerSession = signedInApi(owner.email());
        assertThat(ownerSession.post("/api/v1/team/invitations", Map.of("email", memberEmail, "role", "member"))
                .status()).isEqualTo(201);
        String token = MailSink.token(memberEmail, "invited", "/invitation");
        assertThat(new Api(port).withCsrf().post("/api/v1/auth/invitations/accept",
                Map.of("token", token, "name", "Max", "password", Fixtures.PASSWORD)).status()).isEqualTo(201);
        browser.driver.manage().deleteAllCookies();
        browser.signIn(memberEmail, Fixtures.PASSWORD);
        browser.open("/billing");
        browser.awaitText("#plan-tier", "Pro");
        assertThat(browser.find("#plan-members").getText()).contains("owner chooses the plan");
        assertThat(browser.all("#upgrade-pro, #upgrade-business, #manage-billing")).isEmpty();
        browser.check("billing-member");
        assertThat(stripe.refusals()).isEmpty();
    }

    private Api signedInApi(String email) {
        Api api = new Api(port).withCsrf();
        Api.Response login = api.post("/api/v1/auth/login", Map.of("email", email, "password", Fixtures.PASSWORD));
        assertThat(login.status()).as(login.toString()).isEqualTo(200);
        return api;
    }
}
