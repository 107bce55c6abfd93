package io.virtdevice.apikeys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.platform.crypto.Tokens;
import io.virtdevice.platform.tenancy.TenantScope;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TenantSql;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;

@IntegrationTest
class ApiKeyAuthenticationTests {

    @LocalServerPort
    int port;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher passwordHasher;

    @Autowired
    ApiKeyManagement apiKeys;

    private Fixtures fixtures() {
        return new Fixtures(dataSource, passwordHasher);
    }

    @Test
    void aReadOnlyKeyReadsButCannotWrite() {
        Fixtures.TestUser user = fixtures().owner();
        String readOnly = fixtures().apiKey(user, List.of("read"));
        Api reader = new Api(port).bearer(readOnly);
        assertThat(reader.get("/api/v1/devices").status()).isEqualTo(200);
        assertThat(reader.get("/api/v1/activity").status()).isEqualTo(200);
        Api.Response write = reader.post("/api/v1/devices", Map.of("name", "Lamp", "type", "switch"));
        assertThat(write.status()).isEqualTo(403);
        assertThat(write.header("Content-Type")).startsWith("application/problem+json");

        UUID id = UUID.fromString(new Api(port).bearer(user.apiKey())
                .post("/api/v1/devices", Map.of("name", "Lamp", "type", "switch")).json().path("id").asString());
        assertThat(reader.put("/api/v1/devices/" + id + "/properties", Map.of("power", true)).status()).isEqualTo(403);
        assertThat(reader.delete("/api/v1/devices/" + id).status()).isEqualTo(403);
        assertThat(reader.get("/api/v1/devices/" + id).json().path("version").asLong()).isEqualTo(1);
    }

    @Test
    void bearerRequestsAreStatelessAndStoreNoSession() {
        Fixtures.TestUser user = fixtures().owner();
        Api api = new Api(port).bearer(user.apiKey());
        Api.Response created = api.post("/api/v1/devices", Map.of("name", "Lamp", "type", "switch"));
        String id = created.json().path("id").asString();
        Api.Response read = api.get("/api/v1/devices/" + id);
        Api.Response written = api.put("/api/v1/devices/" + id + "/properties", Map.of("power", true));
        Api.Response refused = api.put("/api/v1/devices/" + id + "/properties", Map.of("power", "on"));
        assertThat(List.of(created.status(), read.status(), written.status(), refused.status()))
                .containsExactly(201, 200, 200, 400);
        for (Api.Response response : List.of(created, read, written, refused)) {
            assertThat(response.headers().getOrDefault("set-cookie", List.of()))
                    .as(response.toString()).noneMatch(c -> c.startsWith("VDSESSION="));
        }
        long sessions = JdbcClient.create(dataSource)
                .sql("select count(*) from spring_session where principal_name = ?")
                .param(user.userId().toString()).query(Long.class).single();
        assertThat(sessions).isZero();
    }

    @Test
    void aWriteOnlyKeyCannotRead() {
        Fixtures.TestUser user = fixtures().owner();
        Api writer = new Api(port).bearer(fixtures().apiKey(user, List.of("write")));
        assertThat(writer.post("/api/v1/devices", Map.of("name", "Lamp", "type", "switch")).status()).isEqualTo(201);
        assertThat(writer.get("/api/v1/devices").status()).isEqualTo(403);
    }

    @Test
    void aKeyRevokedElsewhereStopsWorkingWithinTheCacheBound() {
        Fixtures.TestUser user = fixtures().owner();
        Api api = new Api(port).bearer(user.apiKey());
        assertThat(api.get("/api/v1/devices").status()).isEqualTo(200);

        // Revoked straight in the database, as another instance would: this instance's cache is not told.
        new TenantSql(dataSource).as(user, jdbc -> jdbc.sql("update api_keys set revoked_at = now() where user_id = :u")
                .param("u", user.userId()).update());
        // within the cache's lifetime (plus a poll), never later
        await("the revoked key refused").atMost(ApiKeyAuthenticator.TTL.plusSeconds(2))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> api.get("/api/v1/devices").status() == 401);
    }

    @Test
    void aKeyRevokedHereStopsWorkingAtOnce() {
        Fixtures.TestUser user = fixtures().owner();
        Api api = new Api(port).bearer(user.apiKey());
        assertThat(api.get("/api/v1/devices").status()).isEqualTo(200);
        UUID keyId = new TenantSql(dataSource).as(user, jdbc -> jdbc.sql("select id from api_keys where user_id = :u")
                .param("u", user.userId()).query(UUID.class).single());
        TenantScope.run(user.context(), () -> apiKeys.revoke(keyId, "web"));
        assertThat(api.get("/api/v1/devices").status()).isEqualTo(401);
    }

    @Test
    void anExpiredOrUnknownKeyIsUnauthenticated() {
        Fixtures.TestUser user = fixtures().owner();
        String expired = Tokens.generate("vdk_");
        new TenantSql(dataSource).as(user, jdbc -> jdbc.sql("""
                        insert into api_keys (tenant_id, user_id, name, prefix, token_hash, scopes, expires_at)
                        values (:t, :u, 'old', 'vdk_old', :hash, array['read'], now() - interval '1 minute')
                        """)
                .param("t", user.tenantId()).param("u", user.userId()).param("hash", Tokens.sha256(expired))
                .update());
        Api.Response response = new Api(port).bearer(expired).get("/api/v1/devices");
        assertThat(response.status()).isEqualTo(401);
        assertThat(response.header("Content-Type")).startsWith("application/problem+json");
        assertThat(new Api(port).bearer(Tokens.generate("vdk_")).get("/api/v1/devices").status()).isEqualTo(401);
        assertThat(new Api(port).bearer("vdk_").get("/api/v1/devices").status()).isEqualTo(401);
    }

    @Test
    void aKeyActsAsItsOwnerAndNotesItsUse() {
        Fixtures.TestUser user = fixtures().owner();
        new Api(port).bearer(user.apiKey()).get("/api/v1/devices");
        Long used = new TenantSql(dataSource).as(user, jdbc -> jdbc.sql(
                        "select count(*) from api_keys where user_id = :u and last_used_at is not null")
                .param("u", user.userId()).query(Long.class).single());
        assertThat(used).isEqualTo(1);
    }

    @Test
    void keysCannotManageKeys() {
        Api api = new Api(port).bearer(fixtures().owner().apiKey());
        assertThat(api.get("/api/v1/api-keys").status()).isEqualTo(403);
        assertThat(api.post("/api/v1/api-keys", Map.of("name", "more", "scopes", List.of("read"))).status())
                .isEqualTo(403);
    }
}
