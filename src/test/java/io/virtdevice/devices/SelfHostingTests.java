package io.virtdevice.devices;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.platform.web.DatabaseErrors;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.AppInstance;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.TestDatabase;
import io.virtdevice.platform.database.EmbeddedDatabaseEnvironment;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A self-hosted instance (no billing configured, production defaults) on a database of its own: the device
 * limit comes from configuration (default 300) and is enforced by the database, which the app role cannot
 * change; its cookies work on plain {@code http://127.0.0.1}; and with no limits configured its API responses
 * announce none and no rate-limit bucket is ever written.
 */
class SelfHostingTests {

    private static final Path DATA = Path.of("target", "self-hosting-postgres");

    @Test
    void theConfiguredDeviceLimitAppliesWithoutBillingTheAppCannotRaiseItAndCookiesWorkOnPlainHttp()
            throws Exception {
        Fixtures.TestUser user;
        try (AppInstance app = start("virtdevice.database.embedded.fresh=true", "virtdevice.devices.max-per-user=3")) {
            TestDatabase db = TestDatabase.of(app.context());
            // signed up on the free plan (2 devices), which only counts once billing is configured
            Fixtures.TestUser owner = new Fixtures(db.dataSource(), app.context().getBean(PasswordHasher.class)).owner();
            Api api = app.api().bearer(owner.apiKey());
            for (int i = 1; i <= 3; i++) {
                assertThat(api.post("/api/v1/devices", Map.of("name", "Lamp " + i, "type", "switch")).status())
                        .isEqualTo(201);
            }
            Api.Response refused = api.post("/api/v1/devices", Map.of("name", "Lamp 4", "type", "switch"));
            assertThat(refused.status()).isEqualTo(409);
            assertThat(refused.json().path("limit").asInt()).isEqualTo(3);

            for (String sql : new String[] {"update app.instance_limits set max_devices = 100000",
                    "update app.instance_limits set mode = 'plans'", "delete from app.instance_limits",
                    "insert into app.instance_limits (singleton) values (true)"}) {
                assertThatThrownBy(() -> db.runAs(owner.context(), jdbc -> jdbc.sql(sql).update()))
                        .as(sql)
                        .satisfies(e -> assertThat(DatabaseErrors.of(e).orElseThrow().sqlState()).isEqualTo("42501"));
            }
            user = owner;

            // plain-http local use (public URL http://localhost:8080, nothing about cookies configured):
            // the session cookie is not Secure, which a browser would drop on http://127.0.0.1
            Api session = app.api().withCsrf();
            Api.Response login = session.post("/api/v1/auth/login",
                    Map.of("email", owner.email(), "password", Fixtures.PASSWORD));
            assertThat(login.status()).as(login.toString()).isBetween(200, 299);
            assertThat(setCookies(login)).anySatisfy(c -> assertThat(c).startsWith("VDSESSION=")
                    .doesNotContainIgnoringCase("secure"));
            assertThat(session.get("/api/v1/account").json().path("plan").path("maxDevices").asInt()).isEqualTo(3);

            // no limits by default: nothing to announce (docs/decisions.md, "Rate limit fields on every API
            // response"), on any answer, and no bucket store is paid for
            for (Api.Response response : List.of(login, api.get("/api/v1/devices"), app.api().get("/api/v1/devices"),
                    app.api().bearer("vdk_unknown").get("/api/v1/devices"), api.get("/api/v1/account"))) {
                assertThat(response.status()).as(response.toString()).isIn(200, 401, 403);
                assertThat(response.header("RateLimit")).as(response.toString()).isNull();
                assertThat(response.header("RateLimit-Policy")).as(response.toString()).isNull();
            }
            Long buckets = db.withoutContext(jdbc -> jdbc.sql("select count(*) from rate_limit_buckets")
                    .query(Long.class).single());
            assertThat(buckets).isZero();
        }
        // started again without the setting and with an https public URL
        try (AppInstance app = start("virtdevice.web.public-base-url=https://virtdevice.example")) {
            TestDatabase db = TestDatabase.of(app.context());
            Fixtures.TestUser owner = user;
            Integer max = db.as(owner.context(), jdbc -> jdbc.sql("select max_devices from app.instance_limits")
                    .query(Integer.class).single());
            assertThat(max).isEqualTo(300);
            Api api = app.api().bearer(user.apiKey());
            assertThat(api.post("/api/v1/devices", Map.of("name", "Lamp 4", "type", "switch")).status()).isEqualTo(201);

            Api.Response login = app.api().withCsrf().post("/api/v1/auth/login",
                    Map.of("email", user.email(), "password", Fixtures.PASSWORD));
            assertThat(setCookies(login)).anySatisfy(c -> assertThat(c).startsWith("VDSESSION=")
                    .containsIgnoringCase("; Secure"));
        } finally {
            EmbeddedDatabaseEnvironment.stop(DATA);
        }
    }

    private static List<String> setCookies(Api.Response response) {
        return response.headers().entrySet().stream()
                .filter(e -> e.getKey().equalsIgnoreCase("Set-Cookie"))
                .flatMap(e -> e.getValue().stream())
                .toList();
    }

    private static AppInstance start(String... settings) {
        String[] all = new String[settings.length + 3];
        all[0] = "virtdevice.database.embedded.data-directory=" + DATA.toAbsolutePath();
        all[1] = "virtdevice.billing.mode=none";
        all[2] = "LOG_FORMAT=";
        System.arraycopy(settings, 0, all, 3, settings.length);
        return AppInstance.start(all);
    }
}
