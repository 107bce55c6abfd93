package io.virtdevice.billing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.platform.web.DatabaseErrors;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TestDatabase;
import io.virtdevice.testing.fakes.FakeStripe;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.flywaydb.core.Flyway;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import tools.jackson.databind.node.ObjectNode;

/**
 * Stripe's webhook against the running app and its database, with events signed by Stripe's real scheme and
 * subscriptions re-fetched from the local fake Stripe API: signatures, idempotency under concurrency,
 * out-of-order delivery, every subscription status, the past_due grace period, and the limit changing while
 * devices are being created. The app role can change a subscription neither directly nor through the
 * definer function without Stripe's signature.
 */
@IntegrationTest
class StripeWebhookTests {

    private static final String WEBHOOK = "/billing/stripe/webhook";

    @LocalServerPort
    int port;

    @Autowired
    ApplicationContext context;

    @Autowired
    PasswordHasher hasher;

    @Autowired
    FakeStripe stripe;

    private TestDatabase db;
    private Fixtures fixtures;

    @Autowired
    Flyway flyway;

    /**
     * Other tests in this JVM start instances with production defaults on the same database (e.g.
     * TrustedProxyLoginTests' AppInstance), and every instance writes its billing settings into the database at
     * start-up (BillingSetup, DeviceLimits): this context writes its own back before each test. Migrating an
     * up-to-date schema changes nothing else; it only runs the after-migrate callbacks.
     */
    @BeforeEach
    void setUp() {
        flyway.migrate();
        db = TestDatabase.of(context);
        fixtures = new Fixtures(db.dataSource(), hasher);
    }

    @Test
    void onlyAValidFreshSignatureOverTheRawBodyChangesTheSubscription() {
        Fixtures.TestUser owner = fixtures.owner();
        String subId = FakeStripe.newId("sub");
        ObjectNode sub = FakeStripe.subscription(subId, FakeStripe.newId("cus"), owner.userId(), FakeStripe.PRO_PRICE, "active");
        stripe.put(sub);
        String payload = FakeStripe.event("customer.subscription.created", sub, Instant.now());
        Instant now = Instant.now();

        assertThat(post(payload, null).status()).isEqualTo(400);
        assertThat(post(payload, FakeStripe.sign(payload, now, "whsec_someone_else_0123456789")).status()).isEqualTo(400);
        assertThat(post(payload, FakeStripe.sign(payload, now.minusSeconds(301))).status()).isEqualTo(400);
        assertThat(post(payload, FakeStripe.sign(payload, now.plusSeconds(310))).status()).isEqualTo(400);
        assertThat(post(payload + " ", FakeStripe.sign(payload, now)).status()).isEqualTo(400);
        assertThat(post(payload, "t=" + now.getEpochSecond() + ",v1=" + "0".repeat(64)).status()).isEqualTo(400);
        assertThat(post("not json", FakeStripe.sign("not json", now)).status()).isEqualTo(400);
        assertThat(plan(owner).get("tier")).isEqualTo("free");
        assertThat(eventRows(payload)).isZero();

        Api.Response ok = post(payload, FakeStripe.sign(payload, now.minusSeconds(250)));
        assertThat(ok.status()).as(ok.toString()).isEqualTo(200);
        assertThat(ok.json().path("outcome").asString()).isEqualTo("applied");
        assertThat(plan(owner)).containsEntry("tier", "pro").containsEntry("max_devices", FakeStripe.PRO_DEVICES);
        assertThat(eventRows(payload)).isOne();
        assertThat(stripe.refusals()).isEmpty();
    }

    @Test
    void theAppRoleCannotRaiseItsOwnLimitDirectlyNorThroughTheFunctionWithoutStripesSignature() {
        Fixtures.TestUser owner = fixtures.owner();
        for (String sql : new String[] {"update subscriptions set max_devices = 300, tier = 'business'",
                "insert into subscriptions (tenant_id, user_id, tier, max_devices) values (app.current_tenant_id(), app.current_user_id(), 'business', 300)",
                "delete from subscriptions", "update app.billing_settings set free_max_devices = 300",
                "select webhook_secret from app.billing_settings", "insert into app.billing_prices values ('x', 'business', 300)",
                "select * from app.stripe_events"}) {
            DatabaseErrors refusal = TestDatabase.refusal(() -> db.runAs(owner.context(), jdbc -> jdbc.sql(sql).update()));
            assertThat(refusal.sqlState()).as(sql).isIn("42501", "23505");
        }
        ObjectNode sub = FakeStripe.subscription(FakeStripe.newId("sub"), FakeStripe.newId("cus"), owner.userId(),
                FakeStripe.BUSINESS_PRICE, "active");
        String payload = FakeStripe.event("customer.subscription.created", sub, Instant.now());
        String forged = FakeStripe.sign(payload, Instant.now(), "whsec_guessed_0123456789");
        assertThatThrownBy(() -> db.runAs(owner.context(), jdbc -> jdbc
                .sql("select app.apply_stripe_event(:p, :s, null, null)").param("p", payload).param("s", forged)
                .query(String.class).single()))
                .satisfies(e -> assertThat(DatabaseErrors.of(e).orElseThrow().sqlState()).isEqualTo("VD401"));
        assertThat(plan(owner)).containsEntry("tier", "free").containsEntry("max_devices", 2);
    }

    @Test
    void theSameEventDeliveredFourTimesAtOnceTakesEffectOnce() throws Exception {
        Fixtures.TestUser owner = fixtures.owner();
        ObjectNode sub = FakeStripe.subscription(FakeStripe.newId("sub"), FakeStripe.newId("cus"), owner.userId(),
                FakeStripe.PRO_PRICE, "active");
        stripe.put(sub);
        String payload = FakeStripe.event("customer.subscription.created", sub, Instant.now());
        String signature = FakeStripe.sign(payload, Instant.now());

        List<Api.Response> answers = concurrently(4, () -> post(payload, signature));

        assertThat(answers).allSatisfy(r -> assertThat(r.status()).as(r.toString()).isEqualTo(200));
        assertThat(answers).extracting(r -> r.json().path("outcome").asString())
                .containsExactlyInAnyOrder("applied", "duplicate", "duplicate", "duplicate");
        assertThat(activity(owner, "subscription_created")).isOne();
        assertThat(eventRows(payload)).isOne();
    }

    @Test
    void anUpdateDeliveredBeforeTheCreationKeepsTheNewerState() {
        // re-fetched: both events apply what Stripe has now, and the plan is recorded as created once
        Fixtures.TestUser owner = fixtures.owner();
        String subId = FakeStripe.newId("sub");
        String customer = FakeStripe.newId("cus");
        ObjectNode created = FakeStripe.subscription(subId, customer, owner.userId(), FakeStripe.PRO_PRICE, "incomplete");
        ObjectNode updated = FakeStripe.subscription(subId, customer, owner.userId(), FakeStripe.PRO_PRICE, "active");
        stripe.put(updated);
        Instant t = Instant.now();
        deliver(FakeStripe.event("customer.subscription.updated", updated, t.plusSeconds(1)), "applied");
        deliver(FakeStripe.event("customer.subscription.created", created, t), "applied");
        assertThat(plan(owner)).containsEntry("tier", "pro").containsEntry("status", "active");
        assertThat(activity(owner, "subscription_created")).isOne();
        assertThat(activity(owner, "subscription_updated")).isZero();

        // Stripe's API does not know the subscription: the events' own objects are compared by their times
        Fixtures.TestUser other = fixtures.owner();
        String otherId = FakeStripe.newId("sub");
        ObjectNode otherCreated = FakeStripe.subscription(otherId, FakeStripe.newId("cus"), other.userId(),
                FakeStripe.PRO_PRICE, "incomplete");
        ObjectNode otherUpdated = otherCreated.deepCopy().put("status", "active");
        deliver(FakeStripe.event("customer.subscription.updated", otherUpdated, t.plusSeconds(5)), "applied");
        deliver(FakeStripe.event("customer.subscription.created", otherCreated, t), "stale");
        assertThat(plan(other)).containsEntry("tier", "pro").containsEntry("status", "active");
    }

    @Test
    void everyStripeStatusMapsToTheRightLimitsAndUnknownOnesFallBackToFree() {
        Map<String, String> tiers = new java.util.LinkedHashMap<>();
        tiers.put("active", "pro");
        tiers.put("trialing", "pro");
        tiers.put("past_due", "pro");
        tiers.put("canceled", "free");
        tiers.put("unpaid", "free");
        tiers.put("incomplete", "free");
        tiers.put("incomplete_expired", "free");
        tiers.put("paused", "free");
        tiers.put("on_hold_future", "free");
        Fixtures.TestUser owner = fixtures.owner();
        String subId = FakeStripe.newId("sub");
        String customer = FakeStripe.newId("cus");
        String type = "customer.subscription.created";
        for (Map.Entry<String, String> e : tiers.entrySet()) {
            ObjectNode sub = FakeStripe.subscription(subId, customer, owner.userId(), FakeStripe.PRO_PRICE, e.getKey());
            stripe.put(sub);
            deliver(FakeStripe.event(type, sub, Instant.now()), "applied");
            type = "customer.subscription.updated";
            int max = "pro".equals(e.getValue()) ? FakeStripe.PRO_DEVICES : FakeStripe.FREE_DEVICES;
            assertThat(plan(owner)).as(e.getKey()).containsEntry("tier", e.getValue()).containsEntry("max_devices", max)
                    .containsEntry("status", e.getKey());
        }
        assertThat(activity(owner, "subscription_updated")).isEqualTo(tiers.size() - 1);
    }

    @Test
    void pastDueKeepsThePaidLimitsForTheGracePeriodThenFallsBackToFree() {
        Fixtures.TestUser owner = fixtures.owner();
        Api api = new Api(port).bearer(owner.apiKey());
        String subId = FakeStripe.newId("sub");
        String customer = FakeStripe.newId("cus");
        ObjectNode active = FakeStripe.subscription(subId, customer, owner.userId(), FakeStripe.PRO_PRICE, "active");
        stripe.put(active);
        deliver(FakeStripe.event("customer.subscription.created", active, Instant.now()), "applied");
        for (int i = 1; i <= 3; i++) {
            assertThat(createDevice(api, "Lamp " + i).status()).isEqualTo(201);
        }
        ObjectNode pastDue = active.deepCopy().put("status", "past_due");
        stripe.put(pastDue);
        deliver(FakeStripe.event("invoice.payment_failed", pastDue, Instant.now()), "ignored");
        deliver(FakeStripe.event("customer.subscription.updated", pastDue, Instant.now()), "applied");
        // within the grace period (5 s in the tests) the paid limit holds
        assertThat(plan(owner)).containsEntry("tier", "pro").containsEntry("status", "past_due");
        assertThat(createDevice(api, "Lamp 4").status()).isEqualTo(201);

        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(plan(owner)).containsEntry("tier", "free").containsEntry("max_devices", FakeStripe.FREE_DEVICES));
        Api.Response refused = createDevice(api, "Lamp 5");
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.json().path("limit").asInt()).isEqualTo(FakeStripe.FREE_DEVICES);
        assertThat(refused.json().path("devices").asInt()).isEqualTo(4);
        assertThat(refused.json().path("upgrade").asString()).isEqualTo("/billing");
        assertThat(refused.json().path("detail").asString()).contains("keep working").contains("billing page");
        // the existing devices stay
        assertThat(api.get("/api/v1/devices").json().path("items").size()).isEqualTo(4);
    }

    @Test
    void aDowngradeDuringConcurrentDeviceCreationLeavesNoInsertUnderTheOldLimitAfterIt() throws Exception {
        Fixtures.TestUser owner = fixtures.owner();
        Api api = new Api(port).bearer(owner.apiKey());
        String subId = FakeStripe.newId("sub");
        String customer = FakeStripe.newId("cus");
        ObjectNode active = FakeStripe.subscription(subId, customer, owner.userId(), FakeStripe.PRO_PRICE, "active");
        stripe.put(active);
        deliver(FakeStripe.event("customer.subscription.created", active, Instant.now()), "applied");
        assertThat(createDevice(api, "Start").status()).isEqualTo(201);

        ObjectNode canceled = active.deepCopy().put("status", "canceled");
        stripe.put(canceled);
        String downgrade = FakeStripe.event("customer.subscription.deleted", canceled, Instant.now());
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(9);
        try {
            List<Future<Api.Response>> creations = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String name = "Race " + i;
                creations.add(pool.submit(() -> {
                    go.await();
                    return createDevice(api, name);
                }));
            }
            Future<Api.Response> webhook = pool.submit(() -> {
                go.await();
                return post(downgrade, FakeStripe.sign(downgrade, Instant.now()));
            });
            go.countDown();
            assertThat(webhook.get().json().path("outcome").asString()).isEqualTo("applied");
            int created = 0;
            for (Future<Api.Response> f : creations) {
                int status = f.get().status();
                assertThat(status).isIn(201, 409);
                created += status == 201 ? 1 : 0;
            }
            int devices = api.get("/api/v1/devices").json().path("items").size();
            // never more than the pro plan allowed, and after the downgrade nothing more
            assertThat(devices).isEqualTo(1 + created).isLessThanOrEqualTo(FakeStripe.PRO_DEVICES);
        } finally {
            pool.shutdownNow();
        }
        assertThat(createDevice(api, "After").status()).isEqualTo(409);

        // and up again: the new limit is usable at once
        ObjectNode business = FakeStripe.subscription(FakeStripe.newId("sub"), customer, owner.userId(),
                FakeStripe.BUSINESS_PRICE, "active");
        stripe.put(business);
        deliver(FakeStripe.event("customer.subscription.created", business, Instant.now()), "applied");
        assertThat(createDevice(api, "After upgrade").status()).isEqualTo(201);
        assertThat(plan(owner)).containsEntry("tier", "business").containsEntry("max_devices", FakeStripe.BUSINESS_DEVICES);
    }

    @Test
    void aCompletedCheckoutLinksTheCustomerToTheOwnerNamedByUserIdAndStrangersAreIgnored() {
        Fixtures.TestUser owner = fixtures.owner();
        String subId = FakeStripe.newId("sub");
        String customer = FakeStripe.newId("cus");
        ObjectNode sub = FakeStripe.subscription(subId, customer, owner.userId(), FakeStripe.BUSINESS_PRICE, "trialing");
        sub.put("trial_end", Instant.now().plus(Duration.ofDays(14)).getEpochSecond());
        stripe.put(sub);
        deliver(FakeStripe.event("checkout.session.completed", FakeStripe.checkoutSession(owner.userId(), customer, subId),
                Instant.now()), "applied");
        assertThat(plan(owner)).containsEntry("tier", "business").containsEntry("status", "trialing");
        String stored = db.as(owner.context(), jdbc -> jdbc.sql("select stripe_customer_id from subscriptions")
                .query(String.class).single());
        assertThat(stored).isEqualTo(customer);

        // a subscription for a user id that is not an owner here changes nothing
        ObjectNode stranger = FakeStripe.subscription(FakeStripe.newId("sub"), FakeStripe.newId("cus"),
                java.util.UUID.randomUUID(), FakeStripe.PRO_PRICE, "active");
        stripe.put(stranger);
        deliver(FakeStripe.event("customer.subscription.created", stranger, Instant.now()), "unmatched");
    }

    private void deliver(String payload, String outcome) {
        Api.Response r = post(payload, FakeStripe.sign(payload, Instant.now()));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(r.json().path("outcome").asString()).as(r.toString()).isEqualTo(outcome);
    }

    private Api.Response post(String payload, String signature) {
        Map<String, String> headers = new HashMap<>();
        headers.put("Content-Type", "application/json; charset=utf-8");
        if (signature != null) {
            headers.put("Stripe-Signature", signature);
        }
        return new Api(port).send("POST", WEBHOOK, payload, headers);
    }

    private static Api.Response createDevice(Api api, String name) {
        return api.post("/api/v1/devices", Map.of("name", name, "type", "switch"));
    }

    private Map<String, Object> plan(Fixtures.TestUser user) {
        return db.as(user.context(), jdbc -> jdbc.sql("select tier, max_devices, status from app.tenant_plan()")
                .query().singleRow());
    }

    private long eventRows(String payload) {
        String id = payload.replaceAll("(?s).*\"id\":\"(evt_[^\"]+)\".*", "$1");
        return db.superuser().sql("select count(*) from app.stripe_events where id = :id").param("id", id)
                .query(Long.class).single();
    }

    private long activity(Fixtures.TestUser user, String action) {
        return db.as(user.context(), jdbc -> jdbc.sql("select count(*) from activity_logs where action = :a")
                .param("a", action).query(Long.class).single());
    }

    private static <T> List<T> concurrently(int n, Callable<T> task) throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                futures.add(pool.submit(() -> {
                    go.await();
                    return task.call();
                }));
            }
            go.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) {
                results.add(f.get());
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }
}
