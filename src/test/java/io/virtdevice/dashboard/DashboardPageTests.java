package io.virtdevice.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.MailSink;
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
}
