package io.virtdevice.platform.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.platform.crypto.Tokens;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.AppInstance;
import io.virtdevice.testing.Fixtures;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Random tokens cannot exhaust the connection pool: once an address has caused
 * {@code virtdevice.security.unknown-token-limit} lookups of unknown tokens, further tokens the instance does
 * not know are refused with 429 (and Retry-After) without a lookup, in each surface's error shape; tokens it
 * already knows keep their answer. Its own instance, with a limit of 5.
 */
class UnknownTokenThrottleTests {

    private static AppInstance app;
    private static Fixtures fixtures;

    @BeforeAll
    static void start() {
        app = AppInstance.start("LOG_FORMAT=", "virtdevice.security.unknown-token-limit=5",
                "virtdevice.security.unknown-token-window=10m", "virtdevice.security.api-key-cache-ttl=1m",
                "virtdevice.security.negative-token-cache-ttl=1m");
        fixtures = new Fixtures(app.context().getBean(DataSource.class), app.context().getBean(PasswordHasher.class));
    }

    @AfterAll
    static void stop() {
        app.close();
    }

    @Test
    void answers429ToAnAddressThatKeepsSendingUnknownTokens() {
        String valid = fixtures.owner().apiKey();
        assertThat(new Api(app.port()).bearer(valid).get("/api/v1/devices").status()).isEqualTo(200);
        String[] unknown = new String[5];
        for (int i = 0; i < unknown.length; i++) {
            unknown[i] = Tokens.generate("vdk_");
            assertThat(new Api(app.port()).bearer(unknown[i]).get("/api/v1/devices").status()).isEqualTo(401);
        }

        Api.Response throttled = new Api(app.port()).bearer(Tokens.generate("vdk_")).get("/api/v1/devices");

        assertThat(throttled.status()).isEqualTo(429);
        assertThat(Long.parseLong(throttled.header("Retry-After"))).isBetween(1L, 600L);
        assertThat(throttled.header("Content-Type")).startsWith("application/problem+json");
        assertThat(throttled.json().path("type").asString()).endsWith("/too-many-requests");
        // what the instance already knows costs no lookup and keeps its answer
        assertThat(new Api(app.port()).bearer(valid).get("/api/v1/devices").status()).isEqualTo(200);
        assertThat(new Api(app.port()).bearer(unknown[0]).get("/api/v1/devices").status()).isEqualTo(401);
        // on every surface, in its own shape
        // (the directive endpoint answers every refusal as an Alexa.ErrorResponse with 200, token in the directive)
        String discover = "{\"directive\":{\"header\":{\"namespace\":\"Alexa.Discovery\",\"name\":\"Discover\","
                + "\"payloadVersion\":\"3\",\"messageId\":\"m-1\"},\"payload\":{\"scope\":{\"type\":\"BearerToken\","
                + "\"token\":\"" + Tokens.generate("vda_") + "\"}}}}";
        Api.Response alexa = new Api(app.port()).post("/alexa/v3/directives", discover);
        assertThat(alexa.status()).isEqualTo(200);
        assertThat(alexa.json().path("event").path("payload").path("type").asString()).isEqualTo("RATE_LIMIT_EXCEEDED");
        Api.Response ifttt = new Api(app.port()).bearer(Tokens.generate("vda_")).post("/ifttt/v1/actions/x", "{}");
        assertThat(ifttt.status()).isEqualTo(429);
        assertThat(ifttt.json().path("errors").get(0).path("message").asString()).isNotBlank();
        // sessions and password sign-in are not bearer lookups: unaffected
        assertThat(new Api(app.port()).get("/actuator/health/readiness").status()).isEqualTo(200);
    }
}
