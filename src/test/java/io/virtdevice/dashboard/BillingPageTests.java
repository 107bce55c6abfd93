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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.flywaydb.core.Flyway;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.node.ObjectNode;

/**
 * The billing page against the running app and the fake Stripe. In a real browser: a free owner at the limit
 * upgrades through (fake) Checkout, Stripe's signed webhook arrives, the page shows the new plan and a third
 * device can be created; the portal comes back to the page; a member sees the plan without the buttons (each
 * state scanned by axe-core and photographed, {@code target/screenshots/billing-*}). Over HTTP: Checkout and
 * the portal reach the fake Stripe with what Stripe requires (the fake refuses anything else), only the
 * team's owner may use them, a CSRF token is still needed, and only this page lets its forms be redirected
 * to Stripe's origins.
 */
@IntegrationTest
class BillingPageTests {

    private static final Map<String, String> FORM = Map.of("Content-Type", "application/x-www-form-urlencoded",
            "Accept", "text/html");

    @LocalServerPort
    int port;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    @Autowired
    Flyway flyway;

    /**
     * Other tests in this JVM start instances with production defaults on the same database (e.g.
     * TrustedProxyLoginTests' AppInstance), and every instance writes its billing settings into the database at
     * start-up (BillingSetup, DeviceLimits): this context writes its own back before each test. Migrating an
     * up-to-date schema changes nothing else; it only runs the after-migrate callbacks.
     */
    @BeforeEach
    void reapplyThisContextsBillingSettings() {
        flyway.migrate();
    }

    @Autowired
    FakeStripe stripe;

    private static Browser browser;

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
        browser.open("/devices");
        browser.awaitText("#limit-reached", "upgrade the plan");
        browser.find("#limit-reached a").click();
        browser.awaitText("h1", "Billing");
        browser.awaitText("#plan-tier", "Free");
        assertThat(browser.find("#plan-usage").getText()).contains("2 of 2");
        assertThat(browser.all("#manage-billing")).isEmpty();
        browser.check("billing-free");

        browser.find("#upgrade-pro").click();
        browser.awaitText(".notice", "as soon as Stripe confirms");
        FakeStripe.CheckoutSession checkout = stripe.checkouts().stream()
                .filter(c -> owner.userId().toString().equals(c.userId())).findFirst().orElseThrow();
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
        Api ownerSession = signedIn(owner.email());
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

    @Test
    void checkoutAndPortalReachTheFakeStripeWithTheOwnersIdentityOnly() {
        Fixtures.TestUser owner = new Fixtures(dataSource, hasher).owner();
        Api session = signedIn(owner.email());

        assertThat(session.send("POST", "/billing/portal", "", FORM).status()).isEqualTo(409);
        assertThat(session.send("POST", "/billing/checkout", "plan=gold", FORM).status()).isEqualTo(400);
        Api.Response checkout = session.send("POST", "/billing/checkout", "plan=business", FORM);
        assertThat(checkout.status()).as(checkout.toString()).isEqualTo(302);
        assertThat(checkout.header("Location")).startsWith(stripe.baseUrl() + "/pay/cs_");
        FakeStripe.CheckoutSession sent = stripe.checkouts().stream()
                .filter(c -> owner.userId().toString().equals(c.userId())).findFirst().orElseThrow();
        assertThat(sent.params()).containsEntry("mode", "subscription")
                .containsEntry("line_items[0][price]", FakeStripe.BUSINESS_PRICE)
                .containsEntry("subscription_data[metadata][user_id]", owner.userId().toString())
                .doesNotContainKey("customer_email");
        assertThat(sent.params().get("success_url")).endsWith("/billing?checkout=success");
        assertThat(sent.params().get("cancel_url")).endsWith("/billing?checkout=canceled");

        // without the CSRF token the form is refused, as every other dashboard form
        Api noCsrf = signedIn(owner.email());
        noCsrf.cookies().remove("XSRF-TOKEN");
        assertThat(noCsrf.send("POST", "/billing/checkout", "plan=pro", FORM).status()).isEqualTo(403);

        String customer = FakeStripe.newId("cus");
        ObjectNode sub = FakeStripe.subscription(FakeStripe.newId("sub"), customer, owner.userId(),
                FakeStripe.BUSINESS_PRICE, "active");
        stripe.put(sub);
        String event = FakeStripe.event("customer.subscription.created", sub, Instant.now());
        assertThat(new Api(port).send("POST", "/billing/stripe/webhook", event, Map.of("Content-Type",
                "application/json", "Stripe-Signature", FakeStripe.sign(event, Instant.now()))).status()).isEqualTo(200);

        // a running paid plan changes through the portal, not a second Checkout
        assertThat(session.send("POST", "/billing/checkout", "plan=pro", FORM).status()).isEqualTo(409);
        Api.Response portal = session.send("POST", "/billing/portal", "", FORM);
        assertThat(portal.status()).as(portal.toString()).isEqualTo(302);
        assertThat(portal.header("Location")).startsWith(stripe.baseUrl() + "/portal/bps_");
        assertThat(stripe.portalCustomers()).contains(customer);

        // only the billing page may send its forms to Stripe
        assertThat(session.get("/billing").header("Content-Security-Policy"))
                .contains("form-action 'self' " + stripe.baseUrl() + ";");
        assertThat(session.get("/devices").header("Content-Security-Policy")).contains("form-action 'self';");
        assertThat(stripe.refusals()).isEmpty();
    }

    @Test
    void aMemberCannotStartCheckoutOrThePortal() {
        Fixtures.TestUser owner = new Fixtures(dataSource, hasher).owner();
        Api ownerSession = signedIn(owner.email());
        String memberEmail = Fixtures.uniqueEmail("member");
        assertThat(ownerSession.post("/api/v1/team/invitations", Map.of("email", memberEmail, "role", "admin"))
                .status()).isEqualTo(201);
        String token = MailSink.token(memberEmail, "invited", "/invitation");
        assertThat(new Api(port).withCsrf().post("/api/v1/auth/invitations/accept",
                Map.of("token", token, "name", "Ada", "password", Fixtures.PASSWORD)).status()).isEqualTo(201);
        Api member = signedIn(memberEmail);
        int before = stripe.checkouts().size();
        assertThat(member.send("POST", "/billing/checkout", "plan=pro", FORM).status()).isEqualTo(403);
        assertThat(member.send("POST", "/billing/portal", "", FORM).status()).isEqualTo(403);
        assertThat(stripe.checkouts()).hasSize(before);
        Api.Response page = member.send("GET", "/billing", null, Map.of("Accept", "text/html"));
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.body()).contains("owner chooses the plan").doesNotContain("upgrade-pro")
                .doesNotContain("manage-billing");
    }

    private Api signedIn(String email) {
        Api api = new Api(port).withCsrf();
        Api.Response login = api.post("/api/v1/auth/login", Map.of("email", email, "password", Fixtures.PASSWORD));
        assertThat(login.status()).as(login.toString()).isEqualTo(200);
        return api;
    }
}
