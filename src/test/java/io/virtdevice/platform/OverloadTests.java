package io.virtdevice.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.AppInstance;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * When no database connection can be had within the pool's timeout (an overload, a stuck lock, a database
 * that is away), the API answers 503 with {@code Retry-After} and a problem body, never a 500, and writes
 * nothing; the request that held the connection completes once it can.
 */
@IntegrationTest
class OverloadTests {

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    @Autowired
    ApplicationContext context;

    @Test
    void aSaturatedPoolAnswers503WithRetryAfter() throws Exception {
        Fixtures.TestUser user = new Fixtures(dataSource, hasher).owner();
        // one connection, given up on after 250 ms (Hikari's minimum)
        try (AppInstance app = AppInstance.start("spring.datasource.hikari.maximum-pool-size=1",
                "spring.datasource.hikari.minimum-idle=1", "spring.datasource.hikari.connection-timeout=250",
                "virtdevice.webhooks.allowed-cidrs=127.0.0.1/32", "virtdevice.web.secure-cookies=false",
                "logging.level.root=WARN")) {
            Api api = app.api().bearer(user.apiKey());
            UUID device = UUID.fromString(api.post("/api/v1/devices", Map.of("name", "Stuck", "type", "switch"))
                    .json().path("id").asString());
            TestDatabase db = TestDatabase.of(context);
            CompletableFuture<Api.Response> blocked;
            try (Connection lock = db.superuserConnection()) {
                lock.setAutoCommit(false);
                try (PreparedStatement st = lock.prepareStatement("select 1 from devices where id = ? for update")) {
                    st.setObject(1, device);
                    st.executeQuery().close();
                }
                // this change waits for the row lock, holding the instance's only connection
                blocked = CompletableFuture.supplyAsync(
                        () -> api.put("/api/v1/devices/" + device + "/properties", Map.of("power", true)));
                JdbcClient superuser = db.superuser();
                await("the change waits for the row lock").atMost(Duration.ofSeconds(10))
                        .pollInterval(Duration.ofMillis(20))
                        .until(() -> superuser.sql("select count(*) from pg_locks where not granted")
                                .query(Long.class).single() > 0);

                Api.Response busy = api.get("/api/v1/devices");
                assertThat(busy.status()).isEqualTo(503);
                assertThat(busy.header("Retry-After")).isEqualTo("1");
                assertThat(busy.header("Content-Type")).startsWith("application/problem+json");
                assertThat(busy.json().path("type").asString()).endsWith("/service-busy");
                assertThat(busy.json().path("status").asInt()).isEqualTo(503);
                lock.rollback();
            }
            Api.Response done = blocked.get(10, TimeUnit.SECONDS);
            assertThat(done.status()).isEqualTo(200);
            assertThat(api.get("/api/v1/devices/" + device).json().path("properties").path("power").path("value")
                    .asBoolean()).isTrue();
        }
    }
}
