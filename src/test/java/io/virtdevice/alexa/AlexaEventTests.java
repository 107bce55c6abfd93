package io.virtdevice.alexa;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.fakes.FakeEventGateway;
import io.virtdevice.testing.fakes.FakeEventGateway.Answer;
import io.virtdevice.testing.fakes.FakeEventGateway.Received;
import io.virtdevice.testing.fakes.FakeLoginWithAmazon;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import javax.sql.DataSource;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/**
 * Proactive events end to end over HTTP (shared/spec/alexa.md §3, §7; §10 checks 2, 22-33): a change through
 * the REST API (or a directive, a press, a rename, a delete) and what arrives at the {@link FakeEventGateway},
 * which validates every message against Amazon's schema (DeleteReport against ours) and checks the bearer
 * token against the scope token and the region. Every user is linked for real: the {@code alexa-smart-home}
 * account link, then AcceptGrant against the fake Login with Amazon ({@link AlexaLinking}).
 *
 * <p>"Exactly one" is proven without waiting for silence: events of one endpoint go out in order, so once a
 * later marker change of the same endpoint has arrived, anything the earlier change caused has arrived too.
 */
@IntegrationTest
class AlexaEventTests {

    @LocalServerPort
    int port;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    @Autowired
    FakeLoginWithAmazon lwa;

    @Autowired
    MeterRegistry meters;

    final FakeEventGateway gateway = FakeEventGateway.shared();
    Fixtures.TestUser user;
    Api api;
    AlexaLinking link;
    String token;

    @BeforeEach
    void setUp() {
        user = new Fixtures(dataSource, hasher).owner(20);
        api = new Api(port).bearer(user.apiKey());
        link = AlexaLinking.link(port, lwa, user, AlexaRegion.EU);
        token = link.lwaToken();
    }

    @AfterEach
    void everyMessageWasValid() {
        assertThat(gateway.invalid()).as("messages the gateway refused as invalid").isEmpty();
    }

    // --- ChangeReport (§10 checks 22-24) -------------------------------------------------------------

    @Test
    void flippingAContactSensorSendsOneChangeReportToTheUsersRegionWithItsTokenAndCause() {
        String endpoint = created("front door", "contact_sensor");

        set(endpoint, "contact", "open");

        Received report = changeReports(endpoint, 1).get(0);
        assertThat(report.region()).isEqualTo(AlexaRegion.EU);
        assertThat(report.authorization()).isEqualTo("Bearer " + token);
        AlexaSchema.valid(report.message());
        JsonNode event = report.message().path("event");
        assertThat(event.path("header").path("namespace").asString()).isEqualTo("Alexa");
        assertThat(event.path("header").has("correlationToken")).isFalse();
        assertThat(event.path("endpoint").path("endpointId").asString()).isEqualTo(endpoint);
        assertThat(event.path("endpoint").path("scope").path("token").asString()).isEqualTo(token);
        JsonNode change = event.path("payload").path("change");
        assertThat(change.path("cause").path("type").asString()).isEqualTo("PHYSICAL_INTERACTION");
        assertThat(change.path("properties").size()).isEqualTo(1);
        assertThat(change.path("properties").get(0).path("namespace").asString()).isEqualTo("Alexa.ContactSensor");
        assertThat(change.path("properties").get(0).path("name").asString()).isEqualTo("detectionState");
        assertThat(change.path("properties").get(0).path("value").asString()).isEqualTo("DETECTED");
        JsonNode context = report.message().path("context").path("properties");
        assertThat(context.size()).isEqualTo(1);
        assertThat(context.get(0).path("namespace").asString()).isEqualTo("Alexa.EndpointHealth");
        assertThat(context.get(0).path("value").path("value").asString()).isEqualTo("OK");

        set(endpoint, "contact", "closed"); // the marker
        assertThat(changeReports(endpoint, 2)).hasSize(2);
    }

    @Test
    void theSameValueAgainSendsNothing() {
        String endpoint = created("hall motion", "motion_sensor");
        set(endpoint, "motion", "detected");
        changeReports(endpoint, 1);

        set(endpoint, "motion", "detected");
        set(endpoint, "motion", "not_detected"); // the marker

        List<Received> reports = changeReports(endpoint, 2);
        assertThat(reports).hasSize(2);
        assertThat(changed(reports.get(1)).path("value").asString()).isEqualTo("NOT_DETECTED");
    }

    @Test
    void aSecondPulseWhileStillDetectedReachesAlexaAsAFreshEdge() {
        Api.Response created = api.post("/api/v1/devices",
                Map.of("name", "porch motion", "type", "motion_sensor", "momentary", true, "pulseSeconds", 3600));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String endpoint = created.json().path("alexaEndpointId").asString();
        String id = created.json().path("id").asString();
        gateway.await(r -> endpoint.equals(r.endpointId()) && "AddOrUpdateReport".equals(r.name()) && r.accepted(), 1);

        assertThat(api.post("/api/v1/devices/" + id + "/pulse", Map.of()).status()).isLessThan(300);
        changeReports(endpoint, 1);
        // still DETECTED (the reset is an hour away): the pulse ends the current one and starts a new one in one
        // transaction; the two changes must not fold into "DETECTED", which Alexa would not fire on again
        assertThat(api.post("/api/v1/devices/" + id + "/pulse", Map.of()).status()).isLessThan(300);

        List<Received> reports = changeReports(endpoint, 3);
        assertThat(reports).extracting(r -> changed(r).path("value").asString())
                .containsExactly("DETECTED", "NOT_DETECTED", "DETECTED");
        // one transaction's two changes, yet each sample is later than the one before (millisecond resolution)
        List<Instant> samples = reports.stream()
                .map(r -> Instant.parse(changed(r).path("timeOfSample").asString())).toList();
        assertThat(samples.get(2)).isAfter(samples.get(1));
        assertThat(samples.get(1)).isAfter(samples.get(0));
    }

    @Test
    void aDimmersChangeReportsWhatChangedAndTheRestAsContext() {
        String endpoint = created("desk lamp", "dimmer");
        set(endpoint, "brightness", 40);
        Received report = changeReports(endpoint, 1).get(0);
        AlexaSchema.valid(report.message());
        JsonNode changes = report.message().path("event").path("payload").path("change").path("properties");
        assertThat(changes.size()).isEqualTo(1);
        assertThat(changes.get(0).path("name").asString()).isEqualTo("brightness");
        assertThat(changes.get(0).path("value").asInt()).isEqualTo(40);
        List<String> context = report.message().path("context").path("properties").valueStream()
                .map(p -> p.path("namespace").asString() + "." + p.path("name").asString()).toList();
        assertThat(context).containsExactly("Alexa.PowerController.powerState", "Alexa.EndpointHealth.connectivity");
    }

    @Test
    void aDirectivesOwnChangeSendsNoChangeReport() {
        String alexaToken = link.alexaToken();
        String endpoint = created("kitchen light", "switch");

        Api.Response response = new Api(port).post("/alexa/v3/directives", AlexaDirectiveTests.control(
                "Alexa.PowerController", "TurnOn", endpoint, alexaToken, Map.of()));
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.json().path("event").path("header").path("name").asString()).isEqualTo("Response");

        set(endpoint, "power", false); // the marker, through the REST API
        List<Received> reports = changeReports(endpoint, 1);
        assertThat(reports).hasSize(1);
        assertThat(changed(reports.get(0)).path("value").asString()).isEqualTo("OFF");
    }

    // --- DoorbellPress (§10 checks 25, 26) ----------------------------------------------------------

    @Test
    void everyPressSendsADoorbellPressStampedInWholeSeconds() {
        String endpoint = created("front bell", "doorbell");
        String id = deviceId(endpoint);

        assertThat(api.post("/api/v1/devices/" + id + "/press", Map.of()).status()).isEqualTo(200);
        assertThat(api.post("/api/v1/devices/" + id + "/press", Map.of()).status()).isEqualTo(200);

        List<Received> presses = gateway.await(r -> endpoint.equals(r.endpointId()) && "DoorbellPress".equals(r.name())
                && r.accepted(), 2);
        assertThat(presses).hasSize(2);
        for (Received press : presses) {
            AlexaSchema.valid(press.message());
            JsonNode payload = press.message().path("event").path("payload");
            assertThat(payload.path("timestamp").asString()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
            assertThat(payload.path("cause").path("type").asString()).isEqualTo("PHYSICAL_INTERACTION");
            assertThat(press.message().path("event").path("header").path("namespace").asString())
                    .isEqualTo("Alexa.DoorbellEventSource");
            assertThat(press.authorization()).isEqualTo("Bearer " + token);
        }
    }

    // --- Proactive discovery (§10 checks 31-33) -----------------------------------------------------

    @Test
    void creatingRenamingAndDeletingSendAddOrUpdateAndDeleteReports() {
        JsonNode device = api.post("/api/v1/devices", Map.of("name", "garage", "type", "contact_sensor",
                "friendlyName", "Garage door")).json();
        String endpoint = device.path("alexaEndpointId").asString();
        Received added = gateway.await(r -> endpoint.equals(r.endpointId()) && "AddOrUpdateReport".equals(r.name()), 1)
                .get(0);
        AlexaSchema.valid(added.message());
        JsonNode event = added.message().path("event");
        assertThat(event.has("endpoint")).isFalse();
        assertThat(event.path("payload").path("scope").path("token").asString()).isEqualTo(token);
        JsonNode described = event.path("payload").path("endpoints").get(0);
        assertThat(described.path("friendlyName").asString()).isEqualTo("Garage door");
        assertThat(described.path("displayCategories").get(0).asString()).isEqualTo("CONTACT_SENSOR");

        assertThat(api.patch("/api/v1/devices/" + device.path("id").asString(), Map.of("friendlyName", "Barn door"))
                .status()).isEqualTo(200);
        Received renamed = gateway.await(r -> endpoint.equals(r.endpointId()) && "AddOrUpdateReport".equals(r.name()), 2)
                .get(1);
        assertThat(renamed.message().path("event").path("payload").path("endpoints").get(0).path("friendlyName")
                .asString()).isEqualTo("Barn door");

        assertThat(api.delete("/api/v1/devices/" + device.path("id").asString()).status()).isEqualTo(204);
        Received deleted = gateway.await(r -> endpoint.equals(r.endpointId()) && "DeleteReport".equals(r.name()), 1)
                .get(0);
        assertThat(AlexaSchema.eventErrors(deleted.message())).isEmpty();
        assertThat(AlexaSchema.errors(deleted.message())).as("Amazon's schema lacks DeleteReport").isNotEmpty();
        assertThat(deleted.message().path("event").has("endpoint")).isFalse();
        assertThat(deleted.message().path("event").path("payload").path("scope").path("token").asString())
                .isEqualTo(token);
        assertThat(gateway.forEndpoint(endpoint).stream().map(Received::name).toList())
                .containsExactly("AddOrUpdateReport", "AddOrUpdateReport", "DeleteReport");
    }

    @Test
    void deletingTheAccountSendsADeleteReportForEachDevice() {
        String first = created("gone one", "switch");
        String second = created("gone two", "doorbell");
        Api session = new Api(port).withCsrf();
        assertThat(session.post("/api/v1/auth/login", Map.of("email", user.email(), "password", Fixtures.PASSWORD))
                .status()).isEqualTo(200);

        Api.Response deleted = session.send("DELETE", "/api/v1/account", Map.of("password", Fixtures.PASSWORD),
                Map.of());
        assertThat(deleted.status()).as(deleted.toString()).isEqualTo(204);

        for (String endpoint : List.of(first, second)) {
            Received report = gateway.await(r -> endpoint.equals(r.endpointId()) && "DeleteReport".equals(r.name())
                    && r.accepted(), 1).get(0);
            assertThat(report.region()).isEqualTo(AlexaRegion.EU);
            assertThat(link.issued(report.token())).isTrue();
        }
    }

    // --- Gateway answers (§10 checks 27-30) ---------------------------------------------------------

    @Test
    void throttledThenAcceptedDeliversTheLatestState() {
        String endpoint = created("patio", "contact_sensor");
        gateway.script(token, Answer.throttled());

        set(endpoint, "contact", "open");
        gateway.await(r -> endpoint.equals(r.endpointId()) && r.status() == 429, 1);
        set(endpoint, "contact", "closed");

        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
            List<Received> accepted = gateway.received(r -> endpoint.equals(r.endpointId())
                    && "ChangeReport".equals(r.name()) && r.accepted());
            return !accepted.isEmpty() && "NOT_DETECTED".equals(changed(accepted.getLast()).path("value").asString());
        });
        List<Received> reports = gateway.received(r -> endpoint.equals(r.endpointId()) && "ChangeReport".equals(r.name()));
        assertThat(reports.get(0).status()).isEqualTo(429);
        assertThat(reports.stream().filter(Received::accepted).count()).isBetween(1L, 2L);
        JsonNode history = events(endpoint);
        assertThat(history.path("items").get(history.path("items").size() - 2).path("attempts").asInt())
                .as("the throttled event's attempts").isGreaterThanOrEqualTo(2);
    }

    @Test
    void transientFailuresAreRetriedABoundedNumberOfTimes() {
        String endpoint = created("shed", "contact_sensor");
        gateway.script(token, Answer.internalError(), Answer.internalError(), Answer.internalError(),
                Answer.internalError());

        set(endpoint, "contact", "open");

        Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> "failed".equals(events(endpoint).path("items").get(0).path("status").asString()));
        JsonNode failed = events(endpoint).path("items").get(0);
        assertThat(failed.path("attempts").asInt()).isEqualTo(4);
        assertThat(failed.path("gatewayStatus").asInt()).isEqualTo(500);
        assertThat(failed.path("gatewayCode").asString()).isEqualTo("INTERNAL_SERVICE_EXCEPTION");
        assertThat(gateway.received(r -> endpoint.equals(r.endpointId()) && r.status() == 500)).hasSize(4);
    }

    @Test
    void aNetworkErrorIsRetriedAndRecordedWithTheEndpoint() {
        String endpoint = created("loft", "contact_sensor");
        gateway.script(token, Answer.dropConnection());

        set(endpoint, "contact", "open");

        Received accepted = changeReports(endpoint, 1).get(0);
        assertThat(changed(accepted).path("value").asString()).isEqualTo("DETECTED");
        assertThat(gateway.received(r -> endpoint.equals(r.endpointId()) && r.status() < 0)).hasSize(1);
        Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> "sent".equals(events(endpoint).path("items").get(0).path("status").asString()));
        assertThat(events(endpoint).path("items").get(0).path("attempts").asInt()).isEqualTo(2);
        // the sender lives on: the next change goes out too
        set(endpoint, "contact", "closed");
        assertThat(changeReports(endpoint, 2)).hasSize(2);
    }

    @Test
    void aBadRequestIsNotRetried() {
        String endpoint = created("cellar", "contact_sensor");
        gateway.script(token, Answer.badRequest());

        set(endpoint, "contact", "open");
        gateway.await(r -> endpoint.equals(r.endpointId()) && r.status() == 400, 1);
        set(endpoint, "contact", "closed"); // the marker: sent after the refused one

        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> gateway.received(
                r -> endpoint.equals(r.endpointId()) && "ChangeReport".equals(r.name()) && r.accepted()).size() == 1);
        assertThat(gateway.received(r -> endpoint.equals(r.endpointId()) && r.status() == 400)).hasSize(1);
        JsonNode items = events(endpoint).path("items");
        assertThat(items.valueStream().filter(i -> "failed".equals(i.path("status").asString())
                && i.path("gatewayStatus").asInt() == 400 && i.path("attempts").asInt() == 1).count()).isEqualTo(1);
    }

    @Test
    void anInvalidTokenIsRefreshedOnceAndTheEventSentAgain() {
        String endpoint = created("porch", "motion_sensor");
        gateway.script(token, Answer.invalidToken());

        set(endpoint, "motion", "detected");

        Received accepted = gateway.await(r -> endpoint.equals(r.endpointId()) && "ChangeReport".equals(r.name())
                && r.accepted(), 1).get(0);
        assertThat(link.grant().requests("refresh_token")).hasSize(1);
        assertThat(accepted.token()).isEqualTo(link.lwaToken()).isNotEqualTo(token);
        assertThat(accepted.message().path("event").path("endpoint").path("scope").path("token").asString())
                .isEqualTo(link.lwaToken());
        assertThat(gateway.received(r -> endpoint.equals(r.endpointId()) && r.status() == 401)).hasSize(1);
        assertThat(linkState().path("status").asString()).isEqualTo("active");
        assertThat(linkState().path("lastRefreshAt").isNull()).isFalse();
    }

    @Test
    void aFreshTokenRefusedAgainMarksTheLinkUnauthorized() {
        String endpoint = created("attic", "motion_sensor");
        gateway.script(link::issued, Answer.invalidToken(), Answer.invalidToken());

        set(endpoint, "motion", "detected");

        Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> "unauthorized".equals(linkState().path("status").asString()));
        assertThat(link.grant().requests("refresh_token")).hasSize(1);
        assertThat(gateway.received(r -> endpoint.equals(r.endpointId()) && r.status() == 401)).hasSize(2);
        Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> "failed".equals(events(endpoint).path("items").get(0).path("status").asString()));
        assertThat(events(endpoint).path("items").get(0).path("gatewayCode").asString())
                .isEqualTo("INVALID_ACCESS_TOKEN_EXCEPTION");
        JsonNode health = api.get("/api/v1/alexa/health").json();
        assertThat(health.path("link").path("status").asString()).isEqualTo("unauthorized");
        assertThat(health.path("summary").asString()).contains("1 event failed in the last 24 h")
                .contains("relink");
    }

    @Test
    void skillDisabledRevokesTheLinkAndLaterChangesAreNotSent() {
        String endpoint = created("window", "contact_sensor");
        gateway.disable(token);

        set(endpoint, "contact", "open");

        Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> "revoked".equals(linkState().path("status").asString()));
        Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> "failed".equals(events(endpoint).path("items").get(0).path("status").asString()));
        JsonNode failed = events(endpoint).path("items").get(0);
        assertThat(failed.path("gatewayStatus").asInt()).isEqualTo(403);
        assertThat(failed.path("gatewayCode").asString()).isEqualTo("SKILL_DISABLED_EXCEPTION");
        assertThat(failed.path("attempts").asInt()).isEqualTo(1);

        JsonNode health = api.get("/api/v1/alexa/health").json();
        assertThat(health.path("healthy").asBoolean()).isFalse();
        assertThat(health.path("summary").asString())
                .startsWith("1 event failed in the last 24 h: skill disabled, token revoked on ")
                .contains("The Alexa link was revoked");
        Api.Response fire = api.post("/api/v1/devices/" + deviceId(endpoint) + "/alexa/test-fire", Map.of());
        assertThat(fire.status()).isEqualTo(409);
        assertThat(fire.header("Content-Type")).startsWith("application/problem+json");
    }

    @Test
    void aDeleteReportWithoutAnActiveLinkIsDroppedVisiblyAndCounted() {
        String endpoint = created("ghost lamp", "switch");
        String id = deviceId(endpoint);
        gateway.disable(token);
        set(endpoint, "power", true);
        Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> "revoked".equals(linkState().path("status").asString()));
        double before = outcomes("DeleteReport", "dropped");

        assertThat(api.delete("/api/v1/devices/" + id).status()).isEqualTo(204);

        Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> api.get("/api/v1/alexa/health").json().path("dropped").asLong() == 1);
        assertThat(outcomes("DeleteReport", "dropped")).isEqualTo(before + 1);
        JsonNode health = api.get("/api/v1/alexa/health").json();
        assertThat(health.path("failed").asLong()).as("the ChangeReport the revocation failed").isEqualTo(1);
        assertThat(health.path("summary").asString()).contains(
                "1 device deletion of the last 24 h could not be reported (no active Alexa link): remove that device "
                        + "in the Alexa app.");
        assertThat(gateway.received(r -> endpoint.equals(r.endpointId()) && "DeleteReport".equals(r.name())))
                .as("nothing was sent without a token").isEmpty();
        Api session = new Api(port).withCsrf();
        Api.Response login = session.post("/api/v1/auth/login", Map.of("email", user.email(), "password",
                Fixtures.PASSWORD));
        assertThat(login.status()).as(login.toString()).isEqualTo(200);
        Api.Response page = session.send("GET", "/integrations/alexa", null, Map.of("Accept", "text/html"));
        assertThat(page.status()).as(page.toString()).isEqualTo(200);
        assertThat(page.body()).contains("1</span> not sent (no link)");
    }

    @Test
    void aDeleteReportOfAUserWhoNeverLinkedIsCountedAndNotKept() {
        Fixtures.TestUser unlinked = new Fixtures(dataSource, hasher).owner(5);
        Api own = new Api(port).bearer(unlinked.apiKey());
        Api.Response created = own.post("/api/v1/devices", Map.of("name", "never linked", "type", "switch"));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        double before = outcomes("DeleteReport", "unlinked");

        assertThat(own.delete("/api/v1/devices/" + created.json().path("id").asString()).status()).isEqualTo(204);

        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> outcomes("DeleteReport", "unlinked") > before);
        JsonNode health = own.get("/api/v1/alexa/health").json();
        assertThat(health.path("dropped").asLong()).as("nothing to show a user who never linked").isZero();
        assertThat(health.path("pending").asLong()).isZero();
        assertThat(health.path("summary").asString()).startsWith("Alexa is not linked");
    }

    /** {@code virtdevice.alexa.events} of this instance for a kind and outcome (counts of every test so far). */
    private double outcomes(String kind, String outcome) {
        Counter counter = meters.find("virtdevice.alexa.events").tag("kind", kind).tag("outcome", outcome).counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void skillDisabledFromTheOldRegionIsSentAgainToTheLinksNewRegion() {
        String endpoint = created("balcony", "contact_sensor");
        // Amazon refuses the EU token slowly; meanwhile the user relinks from the FE Lambda
        gateway.script(token, Answer.skillDisabled().after(Duration.ofSeconds(2)));

        set(endpoint, "contact", "open");
        gateway.await(r -> endpoint.equals(r.endpointId()) && "ChangeReport".equals(r.name()), 1);
        AlexaLinking moved = AlexaLinking.linkAgain(port, lwa, link.alexaToken(), AlexaRegion.FE);

        Received accepted = gateway.await(r -> endpoint.equals(r.endpointId()) && "ChangeReport".equals(r.name())
                && r.accepted(), 1).get(0);
        assertThat(accepted.region()).isEqualTo(AlexaRegion.FE);
        assertThat(accepted.token()).isEqualTo(moved.lwaToken());
        assertThat(gateway.received(r -> endpoint.equals(r.endpointId()) && "ChangeReport".equals(r.name())
                && r.status() == 403 && r.region() == AlexaRegion.EU)).hasSize(1);
        assertThat(linkState().path("status").asString()).isEqualTo("active");
        assertThat(linkState().path("region").asString()).isEqualTo("FE");
    }

    // --- Tenants ---------------------------------------------------------------------------------------

    @Test
    void nothingOfOneUserGoesOutWithAnothersToken() {
        Fixtures.TestUser other = new Fixtures(dataSource, hasher).owner(20);
        Api otherApi = new Api(port).bearer(other.apiKey());
        String otherToken = AlexaLinking.link(port, lwa, other, AlexaRegion.NA).lwaToken();
        String mine = created("mine", "contact_sensor");
        String theirs = otherApi.post("/api/v1/devices", Map.of("name", "theirs", "type", "contact_sensor")).json()
                .path("alexaEndpointId").asString();

        for (int i = 0; i < 5; i++) {
            set(mine, "contact", i % 2 == 0 ? "open" : "closed");
            assertThat(otherApi.put("/api/v1/devices/" + deviceId(otherApi, theirs) + "/properties",
                    Map.of("contact", i % 2 == 0 ? "open" : "closed")).status()).isEqualTo(200);
        }
        gateway.await(r -> mine.equals(r.endpointId()) && r.accepted()
                && "ChangeReport".equals(r.name()) && "NOT_DETECTED".equals(changed(r).path("value").asString()), 1);
        gateway.await(r -> theirs.equals(r.endpointId()) && r.accepted()
                && "ChangeReport".equals(r.name()) && "NOT_DETECTED".equals(changed(r).path("value").asString()), 1);

        assertThat(gateway.forEndpoint(mine)).allSatisfy(r -> {
            assertThat(r.token()).isEqualTo(token);
            assertThat(r.region()).isEqualTo(AlexaRegion.EU);
        });
        assertThat(gateway.forEndpoint(theirs)).allSatisfy(r -> {
            assertThat(r.token()).isEqualTo(otherToken);
            assertThat(r.region()).isEqualTo(AlexaRegion.NA);
        });
        assertThat(gateway.received(r -> token.equals(r.token()))).allSatisfy(r -> assertThat(r.endpointId()).isNotEqualTo(theirs));
        // diagnostics: another user's device is not found
        String theirId = deviceId(otherApi, theirs);
        assertThat(api.get("/api/v1/devices/" + theirId + "/alexa/events").status()).isEqualTo(404);
        assertThat(api.post("/api/v1/devices/" + theirId + "/alexa/test-fire", Map.of()).status()).isEqualTo(404);
    }

    // --- Diagnostics ----------------------------------------------------------------------------------

    @Test
    void diagnosticsShowTheEventsSentTheLinkAndATestFire() {
        String endpoint = created("study", "temperature_sensor");
        set(endpoint, "temperature", 23.5);
        changeReports(endpoint, 1);

        Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> "sent".equals(events(endpoint).path("items").get(0).path("status").asString()));
        JsonNode events = events(endpoint);
        assertThat(events.path("endpointId").asString()).isEqualTo(endpoint);
        JsonNode last = events.path("items").get(0);
        assertThat(last.path("kind").asString()).isEqualTo("ChangeReport");
        assertThat(last.path("cause").asString()).isEqualTo("PHYSICAL_INTERACTION");
        assertThat(last.path("gatewayStatus").asInt()).isEqualTo(202);
        assertThat(last.path("region").asString()).isEqualTo("EU");
        assertThat(last.path("attempts").asInt()).isEqualTo(1);
        assertThat(last.path("latencyMs").isNumber()).isTrue();
        assertThat(last.path("changed").get(0).asString()).isEqualTo("Alexa.TemperatureSensor.temperature");
        assertThat(events.path("items").get(1).path("kind").asString()).isEqualTo("AddOrUpdateReport");

        JsonNode link = api.get("/api/v1/alexa/link").json();
        assertThat(link.path("linked").asBoolean()).isTrue();
        assertThat(link.path("status").asString()).isEqualTo("active");
        assertThat(link.path("region").asString()).isEqualTo("EU");
        assertThat(link.toString()).doesNotContain(token);

        Api.Response fire = api.post("/api/v1/devices/" + deviceId(endpoint) + "/alexa/test-fire", Map.of());
        assertThat(fire.status()).as(fire.toString()).isEqualTo(200);
        assertThat(fire.json().path("kind").asString()).isEqualTo("ChangeReport");
        assertThat(fire.json().path("status").asString()).isEqualTo("sent");
        assertThat(fire.json().path("gatewayStatus").asInt()).isEqualTo(202);
        assertThat(fire.json().path("latencyMs").isNumber()).isTrue();
        Received fired = gateway.received(r -> fire.json().path("messageId").asString()
                .equals(r.message().path("event").path("header").path("messageId").asString())).get(0);
        AlexaSchema.valid(fired.message());
        assertThat(events(endpoint).path("items").get(0).path("test").asBoolean()).isTrue();

        JsonNode health = api.get("/api/v1/alexa/health").json();
        assertThat(health.path("healthy").asBoolean()).isTrue();
        assertThat(health.path("sent").asInt()).isGreaterThanOrEqualTo(2);
        assertThat(health.path("summary").asString()).startsWith("All ");
    }

    @Test
    void aDoorbellsTestFireIsAPress() {
        String endpoint = created("side bell", "doorbell");
        Api.Response fire = api.post("/api/v1/devices/" + deviceId(endpoint) + "/alexa/test-fire", Map.of());
        assertThat(fire.status()).as(fire.toString()).isEqualTo(200);
        assertThat(fire.json().path("kind").asString()).isEqualTo("DoorbellPress");
        assertThat(fire.json().path("gatewayStatus").asInt()).isEqualTo(202);
    }

    @Test
    void anUnlinkedUserGetsNoEventsAndAClearAnswer() {
        Fixtures.TestUser unlinked = new Fixtures(dataSource, hasher).owner(20);
        Api theirs = new Api(port).bearer(unlinked.apiKey());
        JsonNode device = theirs.post("/api/v1/devices", Map.of("name", "lonely", "type", "switch")).json();

        assertThat(theirs.get("/api/v1/alexa/link").json().path("linked").asBoolean()).isFalse();
        Api.Response fire = theirs.post("/api/v1/devices/" + device.path("id").asString() + "/alexa/test-fire", Map.of());
        assertThat(fire.status()).isEqualTo(409);
        assertThat(fire.json().path("code").asString()).isEqualTo("alexa_not_linked");
        assertThat(theirs.get("/api/v1/alexa/health").json().path("summary").asString())
                .startsWith("Alexa is not linked");
        assertThat(theirs.get("/api/v1/devices/" + device.path("id").asString() + "/alexa/events").json()
                .path("items").size()).isZero();
        assertThat(theirs.get("/api/v1/devices/not-a-uuid/alexa/events").status()).isEqualTo(400);
        assertThat(gateway.forEndpoint(device.path("alexaEndpointId").asString())).isEmpty();
    }

    // --- helpers ----------------------------------------------------------------------------------------

    /** Creates a device and waits for its AddOrUpdateReport (so later counts start from a known point). */
    private String created(String name, String type) {
        Api.Response response = api.post("/api/v1/devices", Map.of("name", name, "type", type));
        assertThat(response.status()).as(response.toString()).isEqualTo(201);
        String endpoint = response.json().path("alexaEndpointId").asString();
        gateway.await(r -> endpoint.equals(r.endpointId()) && "AddOrUpdateReport".equals(r.name()) && r.accepted(), 1);
        return endpoint;
    }

    private void set(String endpoint, String property, Object value) {
        Api.Response response = api.put("/api/v1/devices/" + deviceId(endpoint) + "/properties",
                Map.of(property, value));
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
    }

    private String deviceId(String endpoint) {
        return deviceId(api, endpoint);
    }

    private static String deviceId(Api api, String endpoint) {
        for (JsonNode d : api.get("/api/v1/devices?limit=100").json().path("items")) {
            if (endpoint.equals(d.path("alexaEndpointId").asString())) {
                return d.path("id").asString();
            }
        }
        throw new AssertionError("no device with endpoint " + endpoint);
    }

    private JsonNode linkState() {
        return api.get("/api/v1/alexa/link").json();
    }

    private JsonNode events(String endpoint) {
        Api.Response response = api.get("/api/v1/devices/" + deviceId(endpoint) + "/alexa/events");
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        return response.json();
    }

    /** Waits for {@code count} accepted ChangeReports of the endpoint and returns all of them. */
    private List<Received> changeReports(String endpoint, int count) {
        Predicate<Received> accepted = r -> endpoint.equals(r.endpointId()) && "ChangeReport".equals(r.name())
                && r.accepted();
        gateway.await(accepted, count);
        return gateway.received(accepted);
    }

    private static JsonNode changed(Received report) {
        return report.message().path("event").path("payload").path("change").path("properties").path(0);
    }
}
