package io.virtdevice.oauth;

import static io.virtdevice.oauth.OAuthFlow.WEB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.SecondInstance;
import io.virtdevice.testing.SseClient;
import io.virtdevice.testing.TestDatabase;
import io.virtdevice.testing.TestRedis;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Revocation reaches every instance at once (issue 9, §8): a second instance on the same database (the
 * PostgreSQL bus) trusts its token caches for a whole minute here, yet a key deleted, an app disconnected or a
 * member removed through the first instance stops working on the second within moments, and the live streams
 * it holds for that credential close. The same through Redis, between two instances on the Redis bus.
 */
@IntegrationTest
class RevocationAcrossInstancesTests {

    /** Far below the second instance's cache lifetime (1 minute): only the notice can explain the 401. */
    private static final Duration AT_ONCE = Duration.ofSeconds(10);

    private static ConfigurableApplicationContext second;

    @LocalServerPort
    int port;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    @Autowired
    ApplicationContext context;

    Fixtures fixtures;
    Fixtures.TestUser owner;
    Api session;
    String b;

    @BeforeAll
    static void noInstanceYet() {
        second = null;
    }

    @AfterAll
    static void stopSecond() {
        if (second != null) {
            second.close();
        }
    }

    @BeforeEach
    void setUp() {
        if (second == null) {
            second = start("instance-revocations", "virtdevice.events.bus=postgres");
        }
        b = url(second);
        fixtures = new Fixtures(dataSource, hasher);
        owner = fixtures.owner(10);
        session = new Api(port).withCsrf();
        assertThat(session.post("/api/v1/auth/login", Map.of("email", owner.email(), "password", Fixtures.PASSWORD))
                .status()).isEqualTo(200);
    }

    private int onSecond(String bearer) {
        return new Api(b).bearer(bearer).get("/api/v1/devices").status();
    }

    @Test
    void aDeletedApiKeyStopsWorkingEverywhereAndItsStreamsClose() {
        Api.Response created = session.post("/api/v1/api-keys", Map.of("name", "script", "scopes", List.of("read")));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String key = created.json().path("key").asString();
        assertThat(onSecond(key)).isEqualTo(200);
        try (SseClient stream = SseClient.open(b, key); SseClient other = SseClient.open(b, owner.apiKey())) {
            assertThat(stream.status()).isEqualTo(200);

            assertThat(session.delete("/api/v1/api-keys/" + created.json().path("id").asString()).status()).isEqualTo(204);

            assertThat(new Api(port).bearer(key).get("/api/v1/devices").status()).isEqualTo(401);
            await().atMost(AT_ONCE).until(() -> onSecond(key) == 401);
            assertThat(stream.awaitEnd(AT_ONCE)).as("the revoked key's stream closed").isTrue();
            // the user's other credentials are untouched
            assertThat(onSecond(owner.apiKey())).isEqualTo(200);
            assertThat(other.awaitEnd(Duration.ofMillis(200))).isFalse();
        }
    }

    @Test
    void aDisconnectedAppsTokenStopsWorkingEverywhereAndItsStreamsClose() {
        String token = new OAuthFlow(port).link(WEB, "read write", owner.email()).accessToken();
        assertThat(onSecond(token)).isEqualTo(200);
        try (SseClient stream = SseClient.open(b, token)) {
            assertThat(stream.status()).isEqualTo(200);

            assertThat(session.delete("/api/v1/account/connected-apps/" + WEB).status()).isEqualTo(204);

            await().atMost(AT_ONCE).until(() -> onSecond(token) == 401);
            assertThat(stream.awaitEnd(AT_ONCE)).as("the disconnected app's stream closed").isTrue();
            assertThat(onSecond(owner.apiKey())).isEqualTo(200);
        }
    }

    @Test
    void aRemovedMembersCredentialsStopWorkingEverywhereAndTheirStreamsClose() {
        UUID memberId = TestDatabase.of(context).superuser().sql("""
                        insert into users (tenant_id, email, role) values (:t, :e, 'member') returning id
                        """).param("t", owner.tenantId()).param("e", Fixtures.uniqueEmail("member"))
                .query(UUID.class).single();
        Fixtures.TestUser member = new Fixtures.TestUser(owner.tenantId(), memberId, null, null);
        String key = fixtures.apiKey(member, List.of("read"));
        assertThat(onSecond(key)).isEqualTo(200);
        try (SseClient stream = SseClient.open(b, key)) {
            assertThat(stream.status()).isEqualTo(200);

            assertThat(session.delete("/api/v1/team/members/" + memberId).status()).isEqualTo(204);

            await().atMost(AT_ONCE).until(() -> onSecond(key) == 401);
            assertThat(stream.awaitEnd(AT_ONCE)).as("the removed member's stream closed").isTrue();
            assertThat(onSecond(owner.apiKey())).isEqualTo(200);
        }
    }

    @Test
    void aRevocationTravelsThroughRedisToo() {
        ConfigurableApplicationContext c = start("instance-revocations-c", TestRedis.settings());
        ConfigurableApplicationContext d = start("instance-revocations-d", TestRedis.settings());
        try {
            String onC = url(c);
            String onD = url(d);
            Api sessionOnC = new Api(onC).withCsrf();
            assertThat(sessionOnC.post("/api/v1/auth/login", Map.of("email", owner.email(), "password",
                    Fixtures.PASSWORD)).status()).isEqualTo(200);
            Api.Response created = sessionOnC.post("/api/v1/api-keys", Map.of("name", "script", "scopes", List.of("read")));
            String key = created.json().path("key").asString();
            assertThat(new Api(onD).bearer(key).get("/api/v1/devices").status()).isEqualTo(200);
            try (SseClient stream = SseClient.open(onD, key)) {
                assertThat(stream.status()).isEqualTo(200);

                assertThat(sessionOnC.delete("/api/v1/api-keys/" + created.json().path("id").asString()).status())
                        .isEqualTo(204);

                await().atMost(AT_ONCE).until(() -> new Api(onD).bearer(key).get("/api/v1/devices").status() == 401);
                assertThat(stream.awaitEnd(AT_ONCE)).as("the revoked key's stream closed").isTrue();
            }
        } finally {
            d.close();
            c.close();
        }
    }

    private static String url(ConfigurableApplicationContext instance) {
        return "http://127.0.0.1:" + ((WebServerApplicationContext) instance).getWebServer().getPort();
    }

    private ConfigurableApplicationContext start(String name, String... extra) {
        List<String> settings = new ArrayList<>(List.of(
                // the caches alone would keep a revoked credential working for a minute here
                "virtdevice.oauth.token-cache-ttl=1m",
                "virtdevice.security.api-key-cache-ttl=1m",
                "virtdevice.security.unknown-token-limit=1000000",
                "virtdevice.oauth.clients.web.redirect-uris=https://app.virtdevice.test/oauth/callback",
                "virtdevice.oauth.clients.web.client-secret=" + IntegrationTest.WEB_CLIENT_SECRET,
                "virtdevice.oauth.clients.alexa.vendor-id=M2TESTVENDOR",
                "virtdevice.oauth.clients.alexa.client-secret=" + IntegrationTest.ALEXA_CLIENT_SECRET,
                "virtdevice.oauth.clients.ifttt.service-id=virtdevice_test",
                "virtdevice.oauth.clients.ifttt.client-secret=" + IntegrationTest.IFTTT_CLIENT_SECRET,
                "virtdevice.oauth.clients.mobile.redirect-uris=io.virtdevice.app:/oauth2redirect",
                "virtdevice.oauth.clients.mobile.scopes=read"));
        settings.addAll(List.of(extra));
        return SecondInstance.start(context, name, settings);
    }
}
