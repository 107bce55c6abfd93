package io.virtdevice.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.virtdevice.alexa.AlexaLinking;
import io.virtdevice.alexa.AlexaRegion;
import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.platform.database.EmbeddedDatabaseEnvironment;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.AppInstance;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.MailSink;
import io.virtdevice.testing.WebhookReceiver;
import io.virtdevice.oauth.OAuthFlow;
import io.virtdevice.testing.SecondInstance;
import io.virtdevice.testing.TestRedis;
import io.virtdevice.testing.fakes.FakeEventGateway;
import io.virtdevice.testing.fakes.FakeLoginWithAmazon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;

/**
 * The published limits over HTTP against two instances on one database (a PostgreSQL of this class's own,
 * so no other test's instance takes part): a quota holds across both (not doubled), the
 * {@code RateLimit-Policy}/{@code RateLimit} fields are exact, a refusal is a 429 problem with
 * {@code Retry-After} (Alexa's in its own shape), and a user at their limit does not hold up another user's
 * requests or Alexa reports (asserted on outcomes and order, never on timing).
 */
class RateLimitTests {

    private static final String SHARED_PLAN = "shared-test";
    private static final int SHARED_QUOTA = 1000;
    /** What one instance may take from its local copy between two store writes: 1 % of the quota. */
    private static final int LOCAL_UNITS = SHARED_QUOTA / 100;

    private static final Path DATA = tempDirectory();
    private static List<String> settings;
    private static final FakeEventGateway GATEWAY = FakeEventGateway.shared();
    private static FakeLoginWithAmazon lwa;
    private static AppInstance a;
    private static ConfigurableApplicationContext b;
    private static Fixtures fixtures;

    @BeforeAll
    static void start() {
        lwa = FakeLoginWithAmazon.start();
        GATEWAY.acceptAnywhere(lwa::issued);
        // (SecondInstance adds LOG_FORMAT and secure-cookies=false itself)
        settings = new ArrayList<>(List.of(
                "virtdevice.billing.mode=plans",
                // one master key for both (the Alexa link's sealed tokens are opened by either instance)
                "virtdevice.crypto.secret-key=" + java.util.Base64.getEncoder().encodeToString(new byte[32]),
                "db-scheduler.polling-interval=200ms",
                "virtdevice.oauth.clients.alexa.vendor-id=M2TESTVENDOR",
                "virtdevice.oauth.clients.alexa.client-secret=" + IntegrationTest.ALEXA_CLIENT_SECRET,
                "virtdevice.alexa.lwa.timeout=1s",
                "virtdevice.alexa.event-gateway.retry-delays=200ms,300ms,300ms",
                "virtdevice.alexa.event-gateway.poll-interval=100ms",
                "virtdevice.alexa.event-gateway.timeout=3s",
                "virtdevice.limits.plans.free.api-requests.limit=20",
                "virtdevice.limits.plans.free.api-requests.window=1h",
                "virtdevice.limits.plans.free.device-changes.limit=6",
                "virtdevice.limits.plans.free.device-changes.window=1h",
                "virtdevice.limits.plans.free.user-changes.limit=10",
                "virtdevice.limits.plans.free.user-changes.window=1h",
                "virtdevice.oauth.clients.ifttt.service-id=virtdevice_test",
                "virtdevice.oauth.clients.ifttt.client-secret=" + IntegrationTest.IFTTT_CLIENT_SECRET,
                "virtdevice.limits.plans.free.oauth-token-requests.limit=5",
                "virtdevice.limits.plans.free.oauth-token-requests.window=1h",
                "virtdevice.limits.plans.free.mails.limit=2",
                "virtdevice.limits.plans.free.mails.window=1h",
                "virtdevice.limits.plans.free.alexa-events.limit=3",
                "virtdevice.limits.plans.free.alexa-events.window=1h",
                // anonymous requests count per client address: tests name theirs through a trusted proxy's
                // X-Forwarded-For (127.0.0.1 is among the default virtdevice.web.trusted-proxies); the unknown-token
                // throttle (per instance) stays out of the way of the shared quota
                "server.forward-headers-strategy=native",
                "virtdevice.security.unknown-token-limit=1000000",
                "virtdevice.limits.plans.free.anonymous-requests.limit=30",
                "virtdevice.limits.plans.free.anonymous-requests.window=1h",
                "virtdevice.limits.plans.free.webhook-tests.limit=2",
                "virtdevice.limits.plans.free.webhook-tests.window=1h",
                "virtdevice.limits.plans.free.url-trigger-fires.limit=3",
                "virtdevice.limits.plans.free.url-trigger-fires.window=1h",
                "virtdevice.webhooks.allowed-cidrs=127.0.0.1/32",
                // a plan of this test only, whose quota is large enough for the default local share (1 %) to
                // let an instance take units locally: 10 of 1000 between two writes to the store. Every quota
                // above is below 100, so all of them are exact (asked of the store on every check)
                "virtdevice.limits.plans." + SHARED_PLAN + ".webhook-tests.limit=" + SHARED_QUOTA,
                "virtdevice.limits.plans." + SHARED_PLAN + ".webhook-tests.window=7d"));
        for (AlexaRegion region : AlexaRegion.values()) {
            settings.add("virtdevice.alexa.event-gateway." + region.name().toLowerCase(java.util.Locale.ROOT) + "="
                    + GATEWAY.url(region));
        }
        settings.addAll(lwa.settings());
        List<String> first = new ArrayList<>(settings);
        MailSink.start();
        first.addAll(List.of("virtdevice.database.embedded.data-directory=" + DATA, "LOG_FORMAT=",
                "virtdevice.web.secure-cookies=false", "spring.mail.host=127.0.0.1",
                "spring.mail.port=" + MailSink.port()));
        a = AppInstance.start(first.toArray(String[]::new));
        b = SecondInstance.start(a.context(), "limits-b", settings);
        fixtures = new Fixtures(a.context().getBean(DataSource.class), a.context().getBean(PasswordHasher.class));
    }

    @AfterAll
    static void stop() {
        if (b != null) {
            b.close();
        }
        if (a != null) {
            a.close();
        }
        try {
            EmbeddedDatabaseEnvironment.stop(DATA);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        if (lwa != null) {
            lwa.close();
        }
    }

    @Test
    void theRequestQuotaHoldsAcrossInstancesWithExactFieldsAndAnotherUserIsNotSlowed() {
        Fixtures.TestUser busy = fixtures.owner();
        Fixtures.TestUser other = fixtures.owner();
        Api[] busyOn = {new Api(a.port()).bearer(busy.apiKey()), new Api(port(b)).bearer(busy.apiKey())};
        Api[] otherOn = {new Api(a.port()).bearer(other.apiKey()), new Api(port(b)).bearer(other.apiKey())};

        spendTheRequestQuota(busyOn);
        // the 21st, on either instance: one quota, not one per instance
        for (Api on : busyOn) {
            assertTheRequestQuotaRefused(on.get("/api/v1/devices"));
            // the other user, in between, on both instances: their own full quota
            Api.Response fine = otherOn[on == busyOn[0] ? 1 : 0].get("/api/v1/devices");
            assertThat(fine.status()).isEqualTo(200);
        }
        assertThat(otherOn[0].get("/api/v1/devices").header("RateLimit")).startsWith("\"api-requests\";r=17;");

        // never on the probes
        Api.Response live = new Api(a.port()).get("/actuator/health/liveness");
        assertThat(live.status()).isEqualTo(200);
        assertThat(live.header("RateLimit")).isNull();
        assertThat(live.header("RateLimit-Policy")).isNull();
    }

    @Test
    void requestsWithoutAValidCredentialAreCountedPerClientAddressAndEveryAnswerAnnouncesItsQuota() {
        String address = "203.0.113." + (1 + new java.util.Random().nextInt(250));
        Map<String, String> from = Map.of("X-Forwarded-For", address);
        String policy = "\"anonymous-requests\";q=30;w=3600";

        // public endpoints, 401s without a credential, 401s of unknown keys, CSRF refusals: one quota per
        // address, shared by both instances, each answer announcing what is left
        List<Api.Response> answers = new ArrayList<>();
        answers.add(new Api(a.port()).send("GET", "/api/v1/device-types", null, from));
        answers.add(new Api(port(b)).send("GET", "/api/v1/devices", null, from));
        answers.add(new Api(a.port()).send("POST", "/api/v1/auth/login", Map.of("email", "x@example.com",
                "password", "y"), from));
        for (int i = 0; i < 27; i++) {
            answers.add(new Api(i % 2 == 0 ? port(b) : a.port()).bearer("vdk_guess" + i)
                    .send("GET", "/api/v1/devices", null, from));
        }
        for (int i = 0; i < answers.size(); i++) {
            Api.Response answer = answers.get(i);
            assertThat(answer.status()).as(answer.toString()).isEqualTo(i == 0 ? 200 : i == 2 ? 403 : 401);
            assertThat(answer.header("RateLimit-Policy")).as(answer.toString()).isEqualTo(policy);
            assertThat(answer.header("RateLimit")).as(answer.toString())
                    .matches("\"anonymous-requests\";r=" + (29 - i) + ";t=\\d+");
        }

        // the 31st, on either instance: a guessed key is refused before it is looked up
        for (int port : new int[] {a.port(), port(b)}) {
            Api.Response refused = new Api(port).bearer("vdk_guess-more").send("GET", "/api/v1/devices", null, from);
            assertThat(refused.status()).as(refused.toString()).isEqualTo(429);
            assertThat(Long.parseLong(refused.header("Retry-After"))).isBetween(1L, 3600L);
            assertThat(refused.header("RateLimit-Policy")).isEqualTo(policy);
            // t on a refusal is when the next unit comes, i.e. Retry-After (never earlier than t)
            assertThat(refused.header("RateLimit")).isEqualTo("\"anonymous-requests\";r=0;t=" + refused.header("Retry-After"));
            JsonNode problem = refused.json();
            assertThat(problem.path("type").asString())
                    .isEqualTo("https://virtdevice.io/problems/rate-limit/anonymous-requests");
            assertThat(problem.path("plan").asString()).isEqualTo("free");
            assertThat(problem.has("liftedBy")).isFalse();
            assertThat(problem.path("detail").asString()).contains("30 per hour").contains("valid API key");
            Api.Response anonymous = new Api(port).send("GET", "/api/v1/device-types", null, from);
            assertThat(anonymous.status()).isEqualTo(429);
        }

        // a valid key from the same address counts on its own quota, and so do its 403s
        Fixtures.TestUser user = fixtures.owner();
        Api key = new Api(a.port()).bearer(user.apiKey());
        Api.Response allowed = key.send("GET", "/api/v1/devices", null, from);
        assertThat(allowed.status()).as(allowed.toString()).isEqualTo(200);
        assertThat(allowed.header("RateLimit-Policy")).isEqualTo("\"api-requests\";q=20;w=3600");
        assertThat(allowed.header("RateLimit")).matches("\"api-requests\";r=19;t=\\d+");
        Api.Response forbidden = new Api(port(b)).bearer(user.apiKey()).send("GET", "/api/v1/account", null, from);
        assertThat(forbidden.status()).as(forbidden.toString()).isEqualTo(403);
        assertThat(forbidden.header("RateLimit-Policy")).isEqualTo("\"api-requests\";q=20;w=3600");
        assertThat(forbidden.header("RateLimit")).matches("\"api-requests\";r=18;t=\\d+");

        // another address is not affected; an IPv6 client counts with its /64
        Api.Response other = new Api(port(b)).send("GET", "/api/v1/device-types", null,
                Map.of("X-Forwarded-For", "198.51.100." + (1 + new java.util.Random().nextInt(250))));
        assertThat(other.header("RateLimit")).matches("\"anonymous-requests\";r=29;t=\\d+");
        String prefix = "2001:db8:" + Integer.toHexString(new java.util.Random().nextInt(0xffff)) + ":1:";
        assertThat(new Api(a.port()).send("GET", "/api/v1/device-types", null,
                Map.of("X-Forwarded-For", prefix + "a:b:c:d")).header("RateLimit"))
                .matches("\"anonymous-requests\";r=29;t=\\d+");
        assertThat(new Api(port(b)).send("GET", "/api/v1/device-types", null,
                Map.of("X-Forwarded-For", prefix + "ffff:1:2:3")).header("RateLimit"))
                .matches("\"anonymous-requests\";r=28;t=\\d+");
    }

    @Test
    void deviceChangesAreCountedPerDeviceOnEverySurfaceAndRefusedInEachSurfacesShape() {
        Fixtures.TestUser user = fixtures.owner(5);
        Api onA = new Api(a.port()).bearer(user.apiKey());
        Api onB = new Api(port(b)).bearer(user.apiKey());
        String lamp = created(onA, "Lamp");
        String fan = created(onB, "Fan");
        String endpoint = onA.get("/api/v1/devices/" + lamp).json().path("alexaEndpointId").asString();
        String alexaToken = AlexaLinking.link(a.port(), lwa, user, AlexaRegion.NA).alexaToken();

        // six changes of the lamp allowed in all: four REST (both instances), one Alexa directive, one more REST
        for (int i = 1; i <= 4; i++) {
            Api on = i % 2 == 0 ? onA : onB;
            assertThat(on.put("/api/v1/devices/" + lamp + "/properties", Map.of("brightness", i * 10)).status())
                    .isEqualTo(200);
        }
        assertThat(directive(port(b), alexaToken, endpoint).path("event").path("header").path("name").asString())
                .isEqualTo("Response");
        assertThat(onA.put("/api/v1/devices/" + lamp + "/properties", Map.of("brightness", 60)).status())
                .isEqualTo(200);

        Api.Response refused = onB.put("/api/v1/devices/" + lamp + "/properties", Map.of("brightness", 70));
        assertThat(refused.status()).as(refused.toString()).isEqualTo(429);
        assertThat(Long.parseLong(refused.header("Retry-After"))).isPositive();
        assertThat(refused.json().path("type").asString())
                .isEqualTo("https://virtdevice.io/problems/rate-limit/device-changes");
        assertThat(values(refused, "RateLimit")).anyMatch(v -> v.contains("\"device-changes\";r=0;t="));
        // Alexa gets its own error shape, not a problem document
        JsonNode alexa = directive(a.port(), alexaToken, endpoint);
        assertThat(alexa.path("event").path("header").path("name").asString()).isEqualTo("ErrorResponse");
        assertThat(alexa.path("event").path("payload").path("type").asString()).isEqualTo("RATE_LIMIT_EXCEEDED");
        // nothing was changed by the refusals
        assertThat(onA.get("/api/v1/devices/" + lamp).json().path("properties").path("brightness").path("value").asInt())
                .isEqualTo(60);
        // the user's other device is still free to change (the per-user quota has room)
        assertThat(onA.put("/api/v1/devices/" + fan + "/properties", Map.of("power", true)).status()).isEqualTo(200);
    }

    @Test
    void aNoisyUsersAlexaReportsWaitForTheirShareWhileAnotherUsersGoOut() {
        Fixtures.TestUser noisy = fixtures.owner(5);
        Fixtures.TestUser calm = fixtures.owner(5);
        Api noisyApi = new Api(a.port()).bearer(noisy.apiKey());
        Api calmApi = new Api(port(b)).bearer(calm.apiKey());
        AlexaLinking.link(a.port(), lwa, noisy, AlexaRegion.NA);
        AlexaLinking.link(a.port(), lwa, calm, AlexaRegion.NA);
        String noisyLamp = created(noisyApi, "Noisy lamp");
        String noisyEndpoint = noisyApi.get("/api/v1/devices/" + noisyLamp).json().path("alexaEndpointId").asString();
        // the share is 3 events an hour: the AddOrUpdateReport and the first changes go out, the rest waits
        GATEWAY.await(r -> noisyEndpoint.equals(r.endpointId()) && "AddOrUpdateReport".equals(r.name()), 1);
        // One change at a time until the share is spent: changes made while the previous report is still
        // being sent fold into one waiting report, so a fast burst of six could spend the share exactly (the
        // AddOrUpdateReport, the first change, the other five folded) and leave nothing to hold on a slow run.
        // The first two changes each go out; the third finds the share spent and is held.
        for (int i = 1; i <= 2; i++) {
            Api on = i % 2 == 0 ? noisyApi : new Api(port(b)).bearer(noisy.apiKey());
            assertThat(on.put("/api/v1/devices/" + noisyLamp + "/properties", Map.of("brightness", i * 10)).status())
                    .isEqualTo(200);
            int sent = i;
            GATEWAY.await(r -> noisyEndpoint.equals(r.endpointId()) && "ChangeReport".equals(r.name()), sent);
        }
        assertThat(new Api(port(b)).bearer(noisy.apiKey())
                .put("/api/v1/devices/" + noisyLamp + "/properties", Map.of("brightness", 30)).status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(30)).until(() -> heldBack(noisyApi, noisyLamp) != null);
        // the burst that follows folds into the held report (on either instance), nothing is sent for it
        for (int i = 4; i <= 6; i++) {
            Api on = i % 2 == 0 ? noisyApi : new Api(port(b)).bearer(noisy.apiKey());
            assertThat(on.put("/api/v1/devices/" + noisyLamp + "/properties", Map.of("brightness", i * 10)).status())
                    .isEqualTo(200);
        }

        // the calm user's change, made after the noisy user's burst, reaches Amazon while the noisy one waits
        String calmLamp = created(calmApi, "Calm lamp");
        String calmEndpoint = calmApi.get("/api/v1/devices/" + calmLamp).json().path("alexaEndpointId").asString();
        assertThat(calmApi.put("/api/v1/devices/" + calmLamp + "/properties", Map.of("brightness", 40)).status())
                .isEqualTo(200);
        GATEWAY.await(r -> calmEndpoint.equals(r.endpointId()) && "ChangeReport".equals(r.name()) && r.accepted(), 1);

        JsonNode held = heldBack(noisyApi, noisyLamp);
        assertThat(held.path("status").asString()).isEqualTo("pending");
        assertThat(held.path("delayed").asInt()).isPositive();
        assertThat(held.path("nextAttemptAt").asString()).isNotEmpty();
        // within the share: the AddOrUpdateReport and at most two ChangeReports went out; the rest is one
        // waiting report that absorbed the later changes (nothing dropped, nothing over the share)
        assertThat(GATEWAY.received(r -> noisyEndpoint.equals(r.endpointId()) && "ChangeReport".equals(r.name())))
                .hasSizeLessThanOrEqualTo(2);
        assertThat(held.path("coalesced").asInt()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void resetMailsAreLimitedPerAddressWhetherOrNotItHasAnAccount() {
        String email = Fixtures.uniqueEmail("reset");
        Api anonymous = new Api(a.port()).withCsrf();
        for (int i = 0; i < 2; i++) {
            assertThat(anonymous.post("/api/v1/auth/password-reset", Map.of("email", email)).status())
                    .isEqualTo(202);
        }
        Api.Response refused = new Api(port(b)).withCsrf().post("/api/v1/auth/password-reset", Map.of("email", email));
        assertThat(refused.status()).as(refused.toString()).isEqualTo(429);
        assertThat(refused.header("Retry-After")).isNotNull();
        assertThat(refused.json().path("type").asString()).isEqualTo("https://virtdevice.io/problems/rate-limit/mails");
        // another address is not affected
        assertThat(anonymous.post("/api/v1/auth/password-reset", Map.of("email", Fixtures.uniqueEmail("x"))).status())
                .isEqualTo(202);
    }

    @Test
    void webhookTestSendsAreLimitedPerUserAndARefusedOneSendsNothing() {
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            Fixtures.TestUser user = fixtures.owner(5);
            Api onA = new Api(a.port()).bearer(user.apiKey());
            Api onB = new Api(port(b)).bearer(user.apiKey());
            Api.Response created = onA.post("/api/v1/webhooks", Map.of("url", receiver.url("/hook")));
            assertThat(created.status()).as(created.toString()).isEqualTo(201);
            String hook = created.json().path("id").asString();
            receiver.trust(created.json().path("secret").asString());
            for (Api on : List.of(onA, onB)) {
                Api.Response sent = on.post("/api/v1/webhooks/" + hook + "/test", null);
                assertThat(sent.status()).as(sent.toString()).isEqualTo(202);
            }

            Api.Response refused = onA.post("/api/v1/webhooks/" + hook + "/test", null);

            assertThat(refused.status()).as(refused.toString()).isEqualTo(429);
            assertThat(Long.parseLong(refused.header("Retry-After"))).isBetween(1L, 3600L);
            assertThat(refused.header("Content-Type")).startsWith("application/problem+json");
            assertThat(values(refused, "RateLimit")).anyMatch(v -> v.matches("\"webhook-tests\";r=0;t=\\d+"));
            JsonNode problem = refused.json();
            assertThat(problem.path("type").asString()).isEqualTo("https://virtdevice.io/problems/rate-limit/webhook-tests");
            assertThat(problem.path("liftedBy").asString()).isEqualTo("pro");
            // the two allowed test messages arrive, the refused one was never queued
            assertThat(receiver.await(2, Duration.ofSeconds(30), d -> true)).hasSize(2)
                    .allSatisfy(d -> assertThat(d.json().path("type").asString()).isEqualTo("webhook.test"));
            assertThat(onB.get("/api/v1/webhooks/" + hook + "/deliveries").json().path("items")).hasSize(2);
            // another user's test sends have their own quota
            Fixtures.TestUser other = fixtures.owner(5);
            Api otherApi = new Api(port(b)).bearer(other.apiKey());
            String otherHook = otherApi.post("/api/v1/webhooks", Map.of("url", receiver.url("/other"))).json()
                    .path("id").asString();
            assertThat(otherApi.post("/api/v1/webhooks/" + otherHook + "/test", null).status()).isEqualTo(202);
        }
    }

    @Test
    void urlTriggerFiresAreLimitedPerLinkAndARefusedFireChangesNothing() {
        Fixtures.TestUser user = fixtures.owner(5);
        Api api = new Api(a.port()).bearer(user.apiKey());
        String lamp = created(api, "Porch lamp");
        String fan = created(api, "Porch fan");
        String lampLink = link(api, lamp);
        String fanLink = link(api, fan);
        for (int i = 1; i <= 3; i++) {
            Api.Response fired = new Api(i % 2 == 0 ? a.port() : port(b))
                    .send("POST", lampLink, Map.of("property", "brightness", "value", i * 10), Map.of());
            assertThat(fired.status()).as(fired.toString()).isEqualTo(200);
        }

        Api.Response refused = new Api(port(b)).send("POST", lampLink, Map.of("property", "brightness", "value", 99),
                Map.of());

        assertThat(refused.status()).as(refused.toString()).isEqualTo(429);
        assertThat(Long.parseLong(refused.header("Retry-After"))).isBetween(1L, 3600L);
        assertThat(refused.header("Content-Type")).startsWith("application/problem+json");
        assertThat(refused.json().path("type").asString())
                .isEqualTo("https://virtdevice.io/problems/rate-limit/url-trigger-fires");
        assertThat(values(refused, "RateLimit")).anyMatch(v -> v.matches("\"url-trigger-fires\";r=0;t=\\d+"));
        assertThat(api.get("/api/v1/devices/" + lamp).json().path("properties").path("brightness").path("value").asInt())
                .isEqualTo(30);
        // the user's other link has its own quota; another user is not affected
        assertThat(new Api(port(b)).send("POST", fanLink, Map.of("property", "power", "value", true), Map.of()).status())
                .isEqualTo(200);
        Fixtures.TestUser other = fixtures.owner(5);
        Api otherApi = new Api(port(b)).bearer(other.apiKey());
        assertThat(new Api(a.port()).send("POST", link(otherApi, created(otherApi, "Lamp")),
                Map.of("property", "power", "value", true), Map.of()).status()).isEqualTo(200);
    }

    @Test
    void iftttActionsOverTheDeviceLimitAre429InIftttsShapeWithRetryAfterAndNoSkip() {
        Fixtures.TestUser user = fixtures.owner(5);
        Api api = new Api(a.port()).bearer(user.apiKey());
        String lamp = created(api, "Hall lamp");
        String fan = created(api, "Hall fan");
        OAuthFlow.Tokens tokens = new OAuthFlow(a.port()).link(OAuthFlow.IFTTT, "ifttt", user.email());
        String lampId = api.get("/api/v1/devices/" + lamp).json().path("iftttDeviceId").asString();
        String fanId = api.get("/api/v1/devices/" + fan).json().path("iftttDeviceId").asString();
        for (int i = 1; i <= 6; i++) {
            Api.Response done = action(i % 2 == 0 ? a.port() : port(b), tokens.accessToken(),
                    i % 2 == 0 ? "turn_device_on" : "turn_device_off", lampId);
            assertThat(done.status()).as(done.toString()).isEqualTo(200);
        }

        Api.Response refused = action(port(b), tokens.accessToken(), "turn_device_off", lampId);

        assertThat(refused.status()).as(refused.toString()).isEqualTo(429);
        assertThat(Long.parseLong(refused.header("Retry-After"))).isBetween(1L, 3600L);
        assertThat(refused.header("Content-Type")).startsWith("application/json");
        JsonNode errors = refused.json().path("errors");
        assertThat(errors).hasSize(1);
        assertThat(errors.get(0).path("message").asString()).contains("retry in");
        assertThat(errors.get(0).has("status")).as("no SKIP: IFTTT retries").isFalse();
        assertThat(refused.json().has("type")).as("not a problem document").isFalse();
        // the refused action changed nothing; another device of the user is still free
        assertThat(api.get("/api/v1/devices/" + lamp).json().path("properties").path("power").path("value").asBoolean())
                .isTrue();
        assertThat(action(a.port(), tokens.accessToken(), "turn_device_on", fanId).status()).isEqualTo(200);
    }

    @Test
    void invitationMailsAreLimitedPerSenderAndARefusedInvitationIsNotStored() {
        Fixtures.TestUser owner = fixtures.owner();
        Api session = new Api(a.port()).withCsrf();
        assertThat(session.post("/api/v1/auth/login", Map.of("email", owner.email(), "password", Fixtures.PASSWORD))
                .status()).isEqualTo(200);
        String first = Fixtures.uniqueEmail("invited");
        String second = Fixtures.uniqueEmail("invited");
        String third = Fixtures.uniqueEmail("invited");
        for (String email : List.of(first, second)) {
            Api.Response invited = session.post("/api/v1/team/invitations", Map.of("email", email, "role", "member"));
            assertThat(invited.status()).as(invited.toString()).isEqualTo(201);
        }

        Api.Response refused = session.post("/api/v1/team/invitations", Map.of("email", third, "role", "member"));

        assertThat(refused.status()).as(refused.toString()).isEqualTo(429);
        assertThat(Long.parseLong(refused.header("Retry-After"))).isBetween(1L, 3600L);
        assertThat(refused.json().path("type").asString()).isEqualTo("https://virtdevice.io/problems/rate-limit/mails");
        assertThat(refused.json().path("liftedBy").asString()).isEqualTo("pro");
        MailSink.await(first, "invited");
        MailSink.await(second, "invited");
        assertThat(session.get("/api/v1/team/invitations").json().path("invitations"))
                .extracting(i -> i.path("email").asString()).containsExactlyInAnyOrder(first, second);
        assertThat(MailSink.messagesTo(third)).isEmpty();
        // another team's owner invites as usual, the third address included
        Fixtures.TestUser other = fixtures.owner();
        Api otherSession = new Api(port(b)).withCsrf();
        assertThat(otherSession.post("/api/v1/auth/login", Map.of("email", other.email(), "password",
                Fixtures.PASSWORD)).status()).isEqualTo(200);
        assertThat(otherSession.post("/api/v1/team/invitations", Map.of("email", third, "role", "member")).status())
                .isEqualTo(201);
        MailSink.await(third, "invited");
    }

    @Test
    void signUpMailsCountOnTheAddressesQuotaWithResetMails() {
        String email = Fixtures.uniqueEmail("signup");
        Api anonymous = new Api(a.port()).withCsrf();
        assertThat(anonymous.post("/api/v1/auth/password-reset", Map.of("email", email)).status()).isEqualTo(202);
        Map<String, String> signUp = Map.of("tenantName", "Limited home", "email", email, "password", Fixtures.PASSWORD,
                "name", "Limited");
        assertThat(new Api(port(b)).withCsrf().post("/api/v1/auth/signup", signUp).status()).isEqualTo(202);

        Api.Response refused = anonymous.post("/api/v1/auth/signup", signUp);

        assertThat(refused.status()).as(refused.toString()).isEqualTo(429);
        assertThat(refused.header("Retry-After")).isNotNull();
        assertThat(refused.json().path("type").asString()).isEqualTo("https://virtdevice.io/problems/rate-limit/mails");
        MailSink.await(email, "", 1);
        assertThat(MailSink.messagesTo(email)).hasSizeLessThanOrEqualTo(2);
    }

    @Test
    void tokenRequestsAreCountedPerAuthenticatedClientAndRefusedInOAuthsShape() {
        String form = "grant_type=client_credentials&scope=read";
        Map<String, String> anonymous = Map.of("Content-Type", "application/x-www-form-urlencoded");
        // without the secret nothing is counted: nobody can spend a client's budget by naming it
        for (int i = 0; i < 8; i++) {
            Api.Response refused = new Api(port(b)).send("POST", "/oauth2/token", form + "&client_id=ifttt-service", anonymous);
            assertThat(refused.status()).as(refused.toString()).isEqualTo(401);
        }
        Map<String, String> authenticated = Map.of("Content-Type", "application/x-www-form-urlencoded", "Authorization",
                "Basic " + java.util.Base64.getEncoder().encodeToString(("ifttt-service:" + IntegrationTest.IFTTT_CLIENT_SECRET)
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        // 5 an hour for the client, shared with this class's IFTTT linking (its code exchange counts too)
        Api.Response first = new Api(port(b)).send("POST", "/oauth2/token", form, authenticated);
        assertThat(first.status()).as(first.toString()).isEqualTo(400); // unauthorized_client: counted
        int left = Integer.parseInt(first.header("RateLimit").replaceAll("^\"oauth-token-requests\";r=(\\d+);t=\\d+$", "$1"));
        assertThat(left).isBetween(0, 4);
        for (int i = left - 1; i >= 0; i--) {
            Api.Response answered = new Api(i % 2 == 0 ? a.port() : port(b)).send("POST", "/oauth2/token", form, authenticated);
            assertThat(answered.status()).as(answered.toString()).isEqualTo(400);
            assertThat(answered.header("RateLimit")).startsWith("\"oauth-token-requests\";r=" + i + ";");
        }
        Api.Response limited = new Api(a.port()).send("POST", "/oauth2/token", form, authenticated);
        assertThat(limited.status()).as(limited.toString()).isEqualTo(429);
        assertThat(limited.header("Retry-After")).isNotNull();
        assertThat(limited.header("Content-Type")).startsWith("application/json");
        assertThat(limited.json().path("error").asString()).isEqualTo("rate_limited");
    }

    @Test
    void withALocalShareAQuotaHoldsAcrossInstancesWithinTheDocumentedBoundAndOneInstanceStaysExact() {
        RateLimiter onA = a.context().getBean(RateLimiter.class);
        RateLimiter onB = b.getBean(RateLimiter.class);
        assertThat(a.context().getBean(LimitBuckets.class).backend()).isEqualTo("postgresql");
        assertLocalShareBound(onA, onB);
    }

    /**
     * {@link RateLimiter#takeUpTo} (the IFTTT realtime fair share's budget) goes through the same local proxy
     * as every other check: on one instance it is exact; across two, a quota under 100 units stays exact and a
     * larger one holds within the local share's bound (docs/rate-limits.md, "How exact").
     */
    @Test
    void takeUpToKeepsTheLocalShareRulesOnOneInstanceAndAcrossTwo() {
        RateLimiter onA = a.context().getBean(RateLimiter.class);
        RateLimiter onB = b.getBean(RateLimiter.class);
        Quota large = new Quota(SHARED_QUOTA, Duration.ofDays(7));
        String alone = "alone-" + UUID.randomUUID();
        for (int i = 0; i < 10; i++) {
            assertThat(onA.takeUpTo("test-budget", large, alone, 5).units()).as("take %d", i).isEqualTo(5);
        }
        assertThat(onA.takeUpTo("test-budget", large, alone, 2L * SHARED_QUOTA).units()).isEqualTo(SHARED_QUOTA - 50);
        RateLimiter.Taken spent = onA.takeUpTo("test-budget", large, alone, 1);
        assertThat(spent.units()).isZero();
        assertThat(spent.retryIn()).isPositive();

        // under 100 units (no local share): exact across the instances
        Quota small = new Quota(20, Duration.ofHours(1));
        String exact = "exact-" + UUID.randomUUID();
        long taken = 0;
        for (int i = 0; i < 20; i++) {
            taken += (i % 2 == 0 ? onA : onB).takeUpTo("test-budget", small, exact, 3).units();
        }
        assertThat(taken).isEqualTo(20);

        // 1000 units, 10 of them local: taking turns, within the quota plus the other instance's local units
        String shared = "shared-" + UUID.randomUUID();
        RateLimiter[] instances = {onA, onB};
        long total = 0;
        boolean[] empty = new boolean[2];
        for (int i = 0; i < 2 * SHARED_QUOTA && !(empty[0] && empty[1]); i++) {
            long units = instances[i % 2].takeUpTo("test-budget", large, shared, 3).units();
            total += units;
            empty[i % 2] = units == 0;
        }
        assertThat(empty).containsExactly(true, true);
        assertThat(total).isBetween((long) SHARED_QUOTA, SHARED_QUOTA + LOCAL_UNITS + 1L);
    }

    @Test
    void aRefusalIsRememberedUntilTheNextUnitAndNoLonger() {
        RateLimiter onA = a.context().getBean(RateLimiter.class);
        RateLimiter onB = b.getBean(RateLimiter.class);
        io.micrometer.core.instrument.MeterRegistry metersOfA = a.context()
                .getBean(io.micrometer.core.instrument.MeterRegistry.class);
        // two units, one more every second: exact (under 100 units), so every check that is not remembered asks the store
        Quota quota = new Quota(2, Duration.ofSeconds(2));
        String key = "remembered-" + UUID.randomUUID();
        assertThat(onA.take("test-budget", quota, key)).isEmpty();
        assertThat(onB.take("test-budget", quota, key)).isEmpty();
        assertThat(onA.take("test-budget", quota, key)).as("the store refuses A's third unit").isPresent();
        double remembered = metersOfA.counter("virtdevice.rate_limit.remembered").count();

        // A answers the next refusals from memory, with the time to the next unit the store named
        java.util.Optional<Duration> again = onA.take("test-budget", quota, key);
        assertThat(again).isPresent();
        assertThat(again.get()).isPositive().isLessThanOrEqualTo(Duration.ofSeconds(1));
        assertThat(metersOfA.counter("virtdevice.rate_limit.remembered").count()).isEqualTo(remembered + 1);
        // B has no memory of it and asks the store, which refuses too: the memory refuses nothing the store would give
        assertThat(onB.take("test-budget", quota, key)).isPresent();

        // once the next unit is due, A asks the store again and gets it: the memory is not a lock-out
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                .until(() -> onA.take("test-budget", quota, key).isEmpty());
    }

    /**
     * A user over their change quota is refused before any device's bucket is asked: a change of a device whose
     * bucket was never used is refused from the user's remembered refusal, with no call to the store (the
     * device's bucket is not even created there) and no device unit spent.
     */
    @Test
    void aUserOverTheirChangeQuotaIsRefusedWithoutAskingTheStoreForTheDevicesBucket() {
        RateLimiter onA = a.context().getBean(RateLimiter.class);
        io.micrometer.core.instrument.MeterRegistry metersOfA = a.context()
                .getBean(io.micrometer.core.instrument.MeterRegistry.class);
        Fixtures.TestUser user = fixtures.owner(5);
        // the free plan of this class: 10 changes per user, 6 per device, an hour each (exact: asked of the store)
        UUID first = UUID.randomUUID();
        UUID second = UUID.randomUUID();
        for (int i = 0; i < 10; i++) {
            onA.enforceChange(user.context(), i % 2 == 0 ? first : second);
        }
        RateLimited byStore = catchThrowableOfType(RateLimited.class,
                () -> onA.enforceChange(user.context(), first));
        assertThat(byStore.decision().limit()).isEqualTo(RateLimit.USER_CHANGES);
        double remembered = metersOfA.counter("virtdevice.rate_limit.remembered").count();

        UUID untouched = UUID.randomUUID();
        RateLimited fromMemory = catchThrowableOfType(RateLimited.class,
                () -> onA.enforceChange(user.context(), untouched));
        assertThat(fromMemory.decision().limit()).isEqualTo(RateLimit.USER_CHANGES);
        assertThat(fromMemory.decision().allowed()).isFalse();
        assertThat(fromMemory.decision().retryAfterSeconds()).isPositive();
        assertThat(metersOfA.counter("virtdevice.rate_limit.remembered").count()).isEqualTo(remembered + 1);
        org.springframework.jdbc.core.simple.JdbcClient store = org.springframework.jdbc.core.simple.JdbcClient
                .create(a.context().getBean(DataSource.class));
        assertThat(store.sql("select count(*) from rate_limit_buckets where id like :key")
                .param("key", "%" + untouched).query(Long.class).single())
                .as("the untouched device's bucket was never asked for").isZero();
        assertThat(store.sql("select count(*) from rate_limit_buckets where id like :key")
                .param("key", "%" + first).query(Long.class).single()).isEqualTo(1);
        // a refused change of the second device (five of its six units used) spends nothing of its bucket either:
        // its sixth unit is still there afterwards
        assertThat(catchThrowableOfType(RateLimited.class,
                () -> onA.enforceChange(user.context(), second)).decision().limit()).isEqualTo(RateLimit.USER_CHANGES);
        Decision sixth = onA.consume(RateLimit.DEVICE_CHANGES, user.context(), second.toString());
        assertThat(sixth.allowed()).isTrue();
        assertThat(sixth.remaining()).isZero();
    }

    /**
     * A brand-new bucket's first checks, all at once on both instances. Bucket4j's batching merges concurrent
     * checks of one key into one store call; under delaying (a quota of 100 units or more: a local share) that
     * merged call went to a bucket not yet in the store, came back "bucket not found" for all of them, and
     * Bucket4j threw that to every check in it, which the limiter took for an unavailable store: allowed,
     * unchecked. The quota holds from the first burst and no check fails open: an exact quota (under 100 units)
     * gives exactly its units, one with a local share at most its units plus each instance's local units.
     */
    @Test
    void aNewBucketsFirstConcurrentChecksHoldTheQuota() throws Exception {
        RateLimiter[] instances = {a.context().getBean(RateLimiter.class), b.getBean(RateLimiter.class)};
        io.micrometer.core.instrument.MeterRegistry[] meters = {
            a.context().getBean(io.micrometer.core.instrument.MeterRegistry.class),
            b.getBean(io.micrometer.core.instrument.MeterRegistry.class)};
        double unavailable = meters[0].counter("virtdevice.rate_limit.unavailable").count()
                + meters[1].counter("virtdevice.rate_limit.unavailable").count();
        // 5 units: exact (every check asks the store); 100 units: 1 % of it (one unit) taken locally per instance
        Quota exact = new Quota(5, Duration.ofHours(1));
        Quota shared = new Quota(100, Duration.ofHours(1));
        for (int round = 0; round < 4; round++) {
            Quota quota = round % 2 == 0 ? exact : shared;
            int threads = round % 2 == 0 ? 32 : 160;
            String key = "first-burst-" + UUID.randomUUID();
            java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(threads);
            List<java.util.concurrent.Future<Boolean>> taken = new ArrayList<>();
            try (var pool = java.util.concurrent.Executors.newFixedThreadPool(threads)) {
                for (int i = 0; i < threads; i++) {
                    RateLimiter on = instances[i % 2];
                    taken.add(pool.submit(() -> {
                        start.await();
                        return on.take("test-budget", quota, key).isEmpty();
                    }));
                }
                int given = 0;
                for (java.util.concurrent.Future<Boolean> one : taken) {
                    given += one.get() ? 1 : 0;
                }
                assertThat(given).as("units given in round %d of %s", round, quota)
                        .isBetween((int) quota.limit(), (int) quota.limit() + (quota == exact ? 0 : 2));
            }
        }
        assertThat(meters[0].counter("virtdevice.rate_limit.unavailable").count()
                + meters[1].counter("virtdevice.rate_limit.unavailable").count())
                .as("checks that failed open").isEqualTo(unavailable);
    }

    /**
     * The same over Redis: two more instances on this class's database whose buckets live in one Redis (the
     * tests' own, {@link TestRedis}); a quota holds across both, the fields are exact, a refusal is a 429
     * problem with {@code Retry-After}, and units an instance took locally are written when it stops.
     */
    @Test
    void onRedisTheQuotaHoldsAcrossInstancesWithExactFieldsAndA429WithRetryAfter() {
        List<String> redis = new ArrayList<>(settings);
        redis.addAll(List.of(TestRedis.settings()));
        try (ConfigurableApplicationContext c = SecondInstance.start(a.context(), "limits-c", redis);
                ConfigurableApplicationContext d = SecondInstance.start(a.context(), "limits-d", redis)) {
            assertThat(c.getBean(LimitBuckets.class).backend()).isEqualTo("redis");
            assertThat(d.getBean(LimitBuckets.class).backend()).isEqualTo("redis");
            Fixtures.TestUser user = fixtures.owner();
            Api[] on = {new Api(port(c)).bearer(user.apiKey()), new Api(port(d)).bearer(user.apiKey())};
            spendTheRequestQuota(on);
            for (Api instance : on) {
                assertTheRequestQuotaRefused(instance.get("/api/v1/devices"));
            }
            // the PostgreSQL instances keep their own buckets: the same key is untouched there
            assertThat(new Api(a.port()).bearer(user.apiKey()).get("/api/v1/devices").header("RateLimit"))
                    .startsWith("\"api-requests\";r=19;");

            RateLimiter onC = c.getBean(RateLimiter.class);
            RateLimiter onD = d.getBean(RateLimiter.class);
            assertLocalShareBound(onC, onD);

            // units taken locally are written to the store when an instance stops
            String key = "flush-" + UUID.randomUUID();
            for (int i = 0; i < 5; i++) {
                assertThat(onD.consume(RateLimit.WEBHOOK_TESTS, SHARED_PLAN, key).allowed()).isTrue();
            }
            d.close();
            assertThat(onC.consume(RateLimit.WEBHOOK_TESTS, SHARED_PLAN, key).remaining()).isEqualTo(SHARED_QUOTA - 6);
        }
    }

    /** The free plan's 20 requests, taking turns on the instances: each answer's fields exact. */
    private static void spendTheRequestQuota(Api[] on) {
        for (int i = 0; i < 20; i++) {
            Api.Response ok = on[i % 2].get("/api/v1/devices");
            assertThat(ok.status()).as(ok.toString()).isEqualTo(200);
            assertThat(ok.header("RateLimit-Policy")).isEqualTo("\"api-requests\";q=20;w=3600");
            assertThat(ok.header("RateLimit")).matches("\"api-requests\";r=" + (19 - i) + ";t=\\d+");
        }
    }

    /** A request over the free plan's request quota: 429 with Retry-After, the fields and the problem. */
    private static void assertTheRequestQuotaRefused(Api.Response refused) {
        assertThat(refused.status()).as(refused.toString()).isEqualTo(429);
        assertThat(Long.parseLong(refused.header("Retry-After"))).isBetween(1L, 3600L);
        assertThat(refused.header("Content-Type")).startsWith("application/problem+json");
        assertThat(refused.header("RateLimit-Policy")).isEqualTo("\"api-requests\";q=20;w=3600");
        assertThat(refused.header("RateLimit")).matches("\"api-requests\";r=0;t=\\d+");
        JsonNode problem = refused.json();
        assertThat(problem.path("type").asString()).isEqualTo("https://virtdevice.io/problems/rate-limit/api-requests");
        assertThat(problem.path("status").asInt()).isEqualTo(429);
        assertThat(problem.path("limit").asString()).isEqualTo("api-requests");
        assertThat(problem.path("plan").asString()).isEqualTo("free");
        assertThat(problem.path("liftedBy").asString()).isEqualTo("pro");
        assertThat(problem.path("detail").asString()).contains("20 API requests per hour").contains("pro plan");
    }

    /**
     * With a local share of {@link #LOCAL_UNITS} units: alone, an instance's {@code remaining} is exact; taking
     * turns, the two instances never let through fewer than the quota nor more than the quota plus the other
     * instance's local units (docs/rate-limits.md, "How exact"), each announces at least what is truly left
     * and at most that plus what the other took since this one last asked the store, and once refused both
     * refuse.
     */
    private static void assertLocalShareBound(RateLimiter first, RateLimiter second) {
        String alone = "alone-" + UUID.randomUUID();
        for (int i = 1; i <= 3 * LOCAL_UNITS; i++) {
            Decision taken = first.consume(RateLimit.WEBHOOK_TESTS, SHARED_PLAN, alone);
            assertThat(taken.allowed()).isTrue();
            assertThat(taken.remaining()).as("check %d on one instance", i).isEqualTo(SHARED_QUOTA - i);
        }

        String shared = "shared-" + UUID.randomUUID();
        RateLimiter[] instances = {first, second};
        int allowed = 0;
        boolean[] refused = new boolean[2];
        for (int i = 0; i < 2 * SHARED_QUOTA && !(refused[0] && refused[1]); i++) {
            Decision decision = instances[i % 2].consume(RateLimit.WEBHOOK_TESTS, SHARED_PLAN, shared);
            if (decision.allowed()) {
                assertThat(refused[i % 2]).as("allowed again after a refusal").isFalse();
                allowed++;
                long left = Math.max(0, SHARED_QUOTA - allowed);
                // not less than what is truly left; more by at most what the other took unseen: its units
                // not yet written when this one last asked the store, and its turns since (one per turn here)
                assertThat(decision.remaining()).as("remaining after %d allowed", allowed)
                        .isBetween(left, left + 2L * LOCAL_UNITS + 1);
            } else {
                refused[i % 2] = true;
                assertThat(decision.retryAfterSeconds()).isPositive();
            }
        }
        assertThat(refused).containsExactly(true, true);
        // the window is 7 days: a unit refills every 10 minutes, so at most one during the test
        assertThat(allowed).isBetween(SHARED_QUOTA, SHARED_QUOTA + LOCAL_UNITS + 1);
    }

    @Test
    void theOpenApiDocumentAnnouncesTheFieldsAndThe429() {
        // springdoc builds the document on the first request; on a busy machine that can outlast one request's
        // 30 s timeout, so ask again until it answers
        JsonNode doc = await().atMost(Duration.ofMinutes(3)).ignoreExceptions()
                .until(() -> new Api(a.port()).get("/v3/api-docs"), r -> r.status() == 200).json();
        JsonNode put = doc.path("paths").path("/api/v1/devices/{id}/properties").path("put");
        assertThat(put.path("responses").path("429").path("headers").has("Retry-After")).isTrue();
        assertThat(put.path("responses").path("200").path("headers").has("RateLimit")).isTrue();
        assertThat(put.path("responses").path("200").path("headers").has("RateLimit-Policy")).isTrue();
        assertThat(doc.path("info").path("description").asString()).contains("RateLimit");
    }

    @Test
    void theSettingsPageListsEachLimitWithWhatThePlanAllowsAndTheUsersCurrentUse() {
        Fixtures.TestUser user = fixtures.owner();
        Api key = new Api(a.port()).bearer(user.apiKey());
        String lamp = created(key, "Lamp");
        assertThat(key.put("/api/v1/devices/" + lamp + "/properties", Map.of("brightness", 30)).status()).isEqualTo(200);
        assertThat(key.put("/api/v1/devices/" + lamp + "/properties", Map.of("brightness", 40)).status()).isEqualTo(200);
        Api browser = new Api(port(b)).withCsrf();
        assertThat(browser.post("/api/v1/auth/login", Map.of("email", user.email(), "password", Fixtures.PASSWORD))
                .status()).isEqualTo(200);

        Api.Response page = browser.send("GET", "/settings", null, Map.of("Accept", "text/html"));

        assertThat(page.status()).isEqualTo(200);
        assertThat(page.body()).contains("<h2 id=\"limits-title\">Limits</h2>");
        Map<RateLimit, String> allowed = Map.of(RateLimit.API_REQUESTS, "20 per hour",
                RateLimit.ANONYMOUS_REQUESTS, "30 per hour",
                RateLimit.DEVICE_CHANGES, "6 per hour", RateLimit.USER_CHANGES, "10 per hour",
                RateLimit.URL_TRIGGER_FIRES, "3 per hour", RateLimit.WEBHOOK_TESTS, "2 per hour",
                RateLimit.MAILS, "2 per hour", RateLimit.OAUTH_TOKEN_REQUESTS, "5 per hour",
                RateLimit.ALEXA_EVENTS, "3 per hour");
        for (RateLimit limit : RateLimit.values()) {
            String row = row(page.body(), limit);
            assertThat(row).as(limit.policy()).contains(limit.description()).contains(limit.per());
            assertThat(cell(row, "quota")).as(limit.policy()).isEqualTo(allowed.get(limit));
        }
        // the user's own buckets: two changes (through the API key) count for the user wherever made
        assertThat(cell(row(page.body(), RateLimit.USER_CHANGES), "used")).isEqualTo("2");
        assertThat(cell(row(page.body(), RateLimit.WEBHOOK_TESTS), "used")).isEqualTo("0");
        // counted per device: no single number for the user
        assertThat(cell(row(page.body(), RateLimit.DEVICE_CHANGES), "used")).isEqualTo("–");
    }

    private static String row(String html, RateLimit limit) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("<tr data-limit=\"" + limit.policy() + "\">(.*?)</tr>",
                java.util.regex.Pattern.DOTALL).matcher(html);
        assertThat(m.find()).as("a row for " + limit.policy()).isTrue();
        return m.group(1);
    }

    private static String cell(String row, String cssClass) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("class=\"" + cssClass + "\">([^<]*)<").matcher(row);
        assertThat(m.find()).as(cssClass + " cell").isTrue();
        return m.group(1).strip();
    }

    /** The noisy lamp's newest event while it is held back for the user's share, else null. */
    private static JsonNode heldBack(Api api, String device) {
        for (JsonNode item : api.get("/api/v1/devices/" + device + "/alexa/events").json().path("items")) {
            if ("ChangeReport".equals(item.path("kind").asString()) && item.path("delayed").asInt() > 0
                    && "pending".equals(item.path("status").asString())) {
                return item;
            }
        }
        return null;
    }

    private static String link(Api api, String device) {
        Api.Response response = api.post("/api/v1/devices/" + device + "/triggers", Map.of("name", "shortcut"));
        assertThat(response.status()).as(response.toString()).isEqualTo(201);
        String url = response.json().path("url").asString();
        return url.substring(url.indexOf("/t/"));
    }

    private static Api.Response action(int port, String token, String action, String device) {
        return new Api(port).bearer(token).post("/ifttt/v1/actions/" + action, Map.of("actionFields",
                Map.of("device", device), "user", Map.of("timezone", "UTC"), "ifttt_source",
                Map.of("id", "1", "url", "https://ifttt.com/applets/1")));
    }

    private static String created(Api api, String name) {
        Api.Response response = api.post("/api/v1/devices", Map.of("name", name, "type", "dimmer"));
        assertThat(response.status()).as(response.toString()).isEqualTo(201);
        return response.json().path("id").asString();
    }

    private static JsonNode directive(int port, String token, String endpointId) {
        Map<String, Object> header = new LinkedHashMap<>(Map.of("namespace", "Alexa.PowerController", "name", "TurnOn",
                "payloadVersion", "3", "messageId", UUID.randomUUID().toString(), "correlationToken", "c-" + UUID.randomUUID()));
        Map<String, Object> endpoint = new LinkedHashMap<>(Map.of("scope", Map.of("type", "BearerToken", "token", token),
                "endpointId", endpointId));
        Map<String, Object> directive = new LinkedHashMap<>(Map.of("header", header, "endpoint", endpoint,
                "payload", Map.of()));
        Api.Response response = new Api(port).post("/alexa/v3/directives", Map.of("directive", directive));
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        assertThat(response.header("RateLimit")).isNull();
        return response.json();
    }

    private static List<String> values(Api.Response response, String name) {
        return response.headers().entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                .flatMap(e -> e.getValue().stream()).toList();
    }

    private static int port(ConfigurableApplicationContext context) {
        return ((org.springframework.boot.web.server.context.WebServerApplicationContext) context).getWebServer()
                .getPort();
    }

    private static Path tempDirectory() {
        try {
            return Files.createTempDirectory("virtdevice-limits-").resolve("postgres");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
