package io.virtdevice.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.virtdevice.oauth.OAuthFlow;
import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.MailSink;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * The dashboard's pages without a browser: the security headers, hostile input answered with a 4xx page
 * (never a 500, never a change), CSRF, and the server refusing a member what the team page offers.
 */
@IntegrationTest
class DashboardPageTests {

    private static final Map<String, String> HTML = Map.of("Accept", "text/html");
    private static final Map<String, String> FORM = Map.of("Accept", "text/html",
            "Content-Type", "application/x-www-form-urlencoded");

    @LocalServerPort
    int port;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    private Api signedIn(String email) {
        Api api = new Api(port).withCsrf();
        Api.Response login = api.post("/api/v1/auth/login", Map.of("email", email, "password", Fixtures.PASSWORD));
        assertThat(login.status()).as(login.toString()).isEqualTo(200);
        return api;
    }

    @Test
    void pagesCarryAStrictContentSecurityPolicy() {
        Api.Response login = new Api(port).send("GET", "/login", null, HTML);
        String policy = login.header("Content-Security-Policy");

        assertThat(policy).contains("script-src 'self'").contains("style-src 'self'").contains("frame-ancestors 'none'")
                .doesNotContain("unsafe-inline").doesNotContain("unsafe-eval");
        assertThat(login.body()).doesNotContain("<script>").doesNotContain(" style=\"").doesNotContain("onclick");
    }

    @Test
    void answersHostileInputWithA4xxPageAndChangesNothing() {
        Fixtures.TestUser owner = new Fixtures(dataSource, hasher).owner();
        Api api = signedIn(owner.email());
        String id = api.post("/api/v1/devices", Map.of("name", "Lamp", "type", "dimmer")).json().path("id").asString();

        assertThat(api.send("GET", "/devices/not-a-uuid", null, HTML).status()).isEqualTo(400);
        assertThat(api.send("GET", "/devices/" + UUID.randomUUID(), null, HTML).status()).isEqualTo(404);
        assertThat(api.send("GET", "/activity?action=nonsense", null, HTML).status()).isEqualTo(400);
        assertThat(api.send("GET", "/activity?from=yesterday", null, HTML).status()).isEqualTo(400);
        assertThat(api.send("GET", "/activity?source=%00", null, HTML).status()).isEqualTo(400);
        Api.Response bad = api.send("POST", "/devices/" + id + "/set", "property=brightness&value=150", FORM);
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.body()).contains("brightness");
        assertThat(api.send("POST", "/devices/" + id + "/set", "property=colour&value=red", FORM).status())
                .isEqualTo(400);
        assertThat(api.send("POST", "/devices", "name=" + "x".repeat(200) + "&type=dimmer", FORM).status())
                .isEqualTo(302);
        assertThat(api.send("POST", "/devices", "name=Fan&type=toaster", FORM).status()).isEqualTo(400);
        Api.Response htmx = api.send("POST", "/devices/" + id + "/press", "",
                Map.of("Accept", "text/html", "HX-Request", "true", "Content-Type", "application/x-www-form-urlencoded"));
        assertThat(htmx.status()).isEqualTo(400);
        assertThat(htmx.header("HX-Retarget")).isEqualTo("#flash");

        assertThat(api.get("/api/v1/devices").json().path("items")).hasSize(1);
        assertThat(api.get("/api/v1/devices/" + id).json().path("version").asLong()).isEqualTo(1);
    }

    @Test
    void answersHostileInputToPulseOfflineMomentaryAndTestFireWithoutAChange() {
        Fixtures.TestUser owner = new Fixtures(dataSource, hasher).owner(3);
        Api api = signedIn(owner.email());
        String lamp = api.post("/api/v1/devices", Map.of("name", "Lamp", "type", "dimmer")).json().path("id").asString();
        String door = api.post("/api/v1/devices", Map.of("name", "Door", "type", "contact_sensor")).json().path("id")
                .asString();
        Fixtures.TestUser stranger = new Fixtures(dataSource, hasher).owner();
        String theirs = signedIn(stranger.email()).post("/api/v1/devices", Map.of("name", "Theirs", "type",
                "motion_sensor")).json().path("id").asString();

        assertThat(api.send("POST", "/devices/" + lamp + "/pulse", "", FORM).status()).isEqualTo(400);
        assertThat(api.send("POST", "/devices/" + theirs + "/pulse", "", FORM).status()).isEqualTo(404);
        assertThat(api.send("POST", "/devices/" + theirs + "/alexa/test-fire", "", FORM).status()).isEqualTo(404);
        assertThat(api.send("POST", "/devices/" + door + "/online", "online=maybe", FORM).status()).isEqualTo(400);
        for (String form : new String[] {"momentary=true&pulseSeconds=abc", "momentary=true&pulseSeconds=0",
                "momentary=true&pulseSeconds=99999999999"}) {
            Api.Response answer = api.send("POST", "/devices/" + door + "/momentary", form, FORM);
            assertThat(answer.status()).as(form).isEqualTo(302);
        }
        assertThat(api.send("POST", "/devices/" + lamp + "/momentary", "momentary=true&pulseSeconds=5", FORM)
                .status()).isEqualTo(302);

        // not linked to Alexa: the test fire says so in place and records nothing
        Api.Response fire = api.send("POST", "/devices/" + door + "/alexa/test-fire", "",
                Map.of("Accept", "text/html", "HX-Request", "true", "Content-Type", "application/x-www-form-urlencoded"));
        assertThat(fire.status()).isEqualTo(200);
        assertThat(fire.body()).contains("Alexa is not linked").contains("No events sent to Alexa");
        assertThat(api.get("/api/v1/devices/" + door + "/alexa/events").json().path("items")).isEmpty();

        assertThat(api.get("/api/v1/devices/" + lamp).json().path("version").asLong()).isEqualTo(1);
        assertThat(api.get("/api/v1/devices/" + door).json().path("version").asLong()).isEqualTo(1);
        assertThat(api.get("/api/v1/devices/" + door).json().path("momentary").asBoolean()).isFalse();
        assertThat(signedIn(stranger.email()).get("/api/v1/devices/" + theirs).json().path("version").asLong())
                .isEqualTo(1);
    }

    @Test
    void refusesAFormWithoutItsCsrfToken() {
        Fixtures.TestUser owner = new Fixtures(dataSource, hasher).owner();
        Api api = signedIn(owner.email());
        String id = api.post("/api/v1/devices", Map.of("name", "Lamp", "type", "switch")).json().path("id").asString();
        api.cookies().remove("XSRF-TOKEN");

        assertThat(api.send("POST", "/devices/" + id + "/toggle", "", FORM).status()).isEqualTo(403);
        assertThat(signedIn(owner.email()).get("/api/v1/devices/" + id).json().path("version").asLong()).isEqualTo(1);
    }

    @Test
    void refusesAMemberEveryTeamChangeNotOnlyThePage() {
        MailSink.start();
        Fixtures.TestUser owner = new Fixtures(dataSource, hasher).owner();
        Api ownerApi = signedIn(owner.email());
        String email = Fixtures.uniqueEmail("page-member");
        ownerApi.post("/api/v1/team/invitations", Map.of("email", email, "role", "member"));
        String token = MailSink.token(email, "invited", "/invitation");
        new Api(port).withCsrf().post("/api/v1/auth/invitations/accept",
                Map.of("token", token, "name", "Mo", "password", Fixtures.PASSWORD));
        Api member = signedIn(email);
        String ownerId = owner.userId().toString();

        assertThat(member.send("GET", "/team", null, HTML).status()).isEqualTo(403);
        assertThat(member.send("POST", "/team/invitations", "email=friend%40example.test&role=admin", FORM).status())
                .isEqualTo(403);
        assertThat(member.send("POST", "/team/members/" + ownerId + "/role", "role=member", FORM).status())
                .isEqualTo(403);
        assertThat(member.send("POST", "/team/members/" + ownerId + "/remove", "", FORM).status()).isIn(403, 404);
        assertThat(member.send("POST", "/team/name", "name=Mine", FORM).status()).isEqualTo(403);
        assertThat(ownerApi.get("/api/v1/team/invitations").json().path("invitations")).isEmpty();
        assertThat(ownerApi.get("/api/v1/team/members").json().path("members")).hasSize(2);
    }

    @Test
    void iftttPageShowsTheConnectionAndEachTriggerInWordsToItsOwnerOnly() {
        Fixtures.TestUser owner = new Fixtures(dataSource, hasher).owner(5);
        Api api = signedIn(owner.email());
        Api.Response before = api.send("GET", "/integrations/ifttt", null, HTML);
        assertThat(before.status()).isEqualTo(200);
        assertThat(before.body()).contains("Not connected").contains("search for the VirtDevice service")
                .contains("No applet uses a VirtDevice trigger yet").contains("aria-current=\"page\">IFTTT<");

        Api rest = new Api(port).bearer(owner.apiKey());
        Api.Response lamp = rest.post("/api/v1/devices", Map.of("name", "Lamp <b>", "type", "switch"));
        Api.Response door = rest.post("/api/v1/devices", Map.of("name", "Front door", "type", "contact_sensor"));
        Api.Response heat = rest.post("/api/v1/devices", Map.of("name", "Attic", "type", "temperature_sensor"));
        assertThat(lamp.status()).as(lamp.toString()).isEqualTo(201);
        String lampIfttt = lamp.json().path("iftttDeviceId").asString();
        Api ifttt = new Api(port).bearer(new OAuthFlow(port).link(OAuthFlow.IFTTT, "ifttt", owner.email()).accessToken());
        poll(ifttt, "device_turned_on", "identity-lamp", Map.of("device", lampIfttt));
        poll(ifttt, "sensor_state_changed", "identity-door",
                Map.of("device", door.json().path("iftttDeviceId").asString(), "state", "open"));
        poll(ifttt, "temperature_above", "identity-attic",
                Map.of("device", heat.json().path("iftttDeviceId").asString(), "threshold", "25.5"));

        String page = api.send("GET", "/integrations/ifttt", null, HTML).body();
        assertThat(page).contains("Connected").contains("3 triggers").doesNotContain("Not connected")
                .contains("Device turned on").contains("Lamp &lt;b&gt; turns on").doesNotContain("Lamp <b>")
                .contains("Sensor state changed").contains("Front door opens")
                .contains("Temperature above threshold").contains("Attic rises above 25.5°")
                .doesNotContain(lampIfttt).doesNotContain("stopped: device deleted");
        assertThat(page.replaceAll("(?s).*id=\"ifttt-last-poll\">([^<]*)<.*", "$1")).endsWith("UTC");

        // a deleted device's trigger stops and no longer counts; another user sees none of it
        assertThat(rest.delete("/api/v1/devices/" + lamp.json().path("id").asString()).status()).isEqualTo(204);
        // the identity is switched off by the ifttt module's change-event consumer, after the commit
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(
                api.send("GET", "/integrations/ifttt", null, HTML).body()).contains("2 triggers")
                .contains("stopped: device deleted").contains("a deleted device turns on"));
        Fixtures.TestUser stranger = new Fixtures(dataSource, hasher).owner();
        String theirs = signedIn(stranger.email()).send("GET", "/integrations/ifttt", null, HTML).body();
        assertThat(theirs).contains("Not connected").contains("0 triggers").doesNotContain("Front door")
                .doesNotContain("Attic");
        assertThat(new Api(port).send("GET", "/integrations/ifttt", null, HTML).status()).isIn(302, 401);
    }

    private static void poll(Api ifttt, String trigger, String identity, Map<String, String> fields) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("trigger_identity", identity);
        body.put("triggerFields", fields);
        Api.Response polled = ifttt.post("/ifttt/v1/triggers/" + trigger, body);
        assertThat(polled.status()).as(polled.toString()).isEqualTo(200);
    }
}
