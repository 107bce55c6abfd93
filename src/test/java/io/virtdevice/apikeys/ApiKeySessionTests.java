package io.virtdevice.apikeys;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TenantSql;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/**
 * Key management through the browser session. Needs the accounts module's {@code POST /api/v1/auth/login}
 * and {@code GET /api/v1/auth/csrf}.
 */
@IntegrationTest
class ApiKeySessionTests {

    @LocalServerPort
    int port;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher passwordHasher;

    private Api signedIn(Fixtures.TestUser user) {
        Api api = new Api(port);
        Api.Response login = api.withCsrf()
                .post("/api/v1/auth/login", Map.of("email", user.email(), "password", Fixtures.PASSWORD));
        assertThat(login.status()).as(login.toString()).isBetween(200, 299);
        return api;
    }

    @Test
    void issuesAKeyOnceListsItWithoutTheSecretAndRevokesIt() {
        Fixtures.TestUser user = new Fixtures(dataSource, passwordHasher).owner();
        Api session = signedIn(user);

        Api.Response created = session.post("/api/v1/api-keys",
                Map.of("name", "Home Assistant", "scopes", List.of("read"), "expiresInDays", 30));
        assertThat(created.status()).isEqualTo(201);
        assertThat(created.header("Cache-Control")).contains("no-store");
        JsonNode key = created.json();
        String secret = key.path("key").asString();
        assertThat(secret).startsWith("vdk_");
        assertThat(key.path("prefix").asString()).isEqualTo(secret.substring(0, 12));
        assertThat(key.path("scopes").toString()).isEqualTo("[\"read\"]");
        assertThat(key.path("expiresAt").isNull()).isFalse();

        Api bearer = new Api(port).bearer(secret);
        assertThat(bearer.get("/api/v1/devices").status()).isEqualTo(200);
        assertThat(bearer.post("/api/v1/devices", Map.of("name", "x", "type", "switch")).status()).isEqualTo(403);

        Api.Response listed = session.get("/api/v1/api-keys");
        assertThat(listed.status()).isEqualTo(200);
        assertThat(listed.body()).doesNotContain(secret);
        JsonNode item = listed.json().path("items").get(0);
        assertThat(item.path("name").asString()).isEqualTo("Home Assistant");
        assertThat(item.has("key")).isFalse();
        assertThat(item.path("lastUsedAt").isNull()).isFalse();

        String id = key.path("id").asString();
        assertThat(session.delete("/api/v1/api-keys/" + id).status()).isEqualTo(204);
        assertThat(bearer.get("/api/v1/devices").status()).isEqualTo(401);
        assertThat(session.delete("/api/v1/api-keys/" + id).status()).isEqualTo(404);
        assertThat(session.get("/api/v1/activity?action=api_key_revoked").json().path("items")).hasSize(1);
        assertThat(session.get("/api/v1/activity?action=api_key_created").json().path("items")).hasSize(1);
    }

    @Test
    void refusesInvalidKeyRequests() {
        Api session = signedIn(new Fixtures(dataSource, passwordHasher).owner());
        assertThat(session.post("/api/v1/api-keys", Map.of("name", "x", "scopes", List.of())).status()).isEqualTo(400);
        assertThat(session.post("/api/v1/api-keys", Map.of("name", "x", "scopes", List.of("admin"))).status())
                .isEqualTo(400);
        assertThat(session.post("/api/v1/api-keys", Map.of("name", " ", "scopes", List.of("read"))).status())
                .isEqualTo(400);
        assertThat(session.post("/api/v1/api-keys", Map.of("name", "x", "scopes", List.of("read"), "expiresInDays", 0))
                .status()).isEqualTo(400);
        assertThat(session.post("/api/v1/api-keys", Map.of("name", "x", "scopes", List.of("read"), "key", "vdk_mine"))
                .status()).isEqualTo(400);
    }

    @Test
    void anotherUsersKeyCannotBeRevoked() {
        Fixtures fixtures = new Fixtures(dataSource, passwordHasher);
        Fixtures.TestUser alice = fixtures.owner();
        Api bob = signedIn(fixtures.owner());
        String aliceKeyId = new TenantSql(dataSource).as(alice, jdbc -> jdbc.sql("select id::text from api_keys where user_id = :u")
                        .param("u", alice.userId()).query(String.class).single());
        assertThat(bob.delete("/api/v1/api-keys/" + aliceKeyId).status()).isEqualTo(404);
        assertThat(new Api(port).bearer(alice.apiKey()).get("/api/v1/devices").status()).isEqualTo(200);
    }
}
