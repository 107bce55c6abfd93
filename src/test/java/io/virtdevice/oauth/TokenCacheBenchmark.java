package io.virtdevice.oauth;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.platform.database.EmbeddedDatabaseEnvironment;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.AppInstance;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TestDatabase;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * What validating an OAuth access token costs with and without the cache: not a test (speed is no test's
 * business), run by {@code bench/token-cache.sh}, which prints the figures. Starts the app on a fresh
 * embedded PostgreSQL in {@code target/bench-token-cache-postgres}.
 */
public final class TokenCacheBenchmark {

    private TokenCacheBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path data = Path.of("target", "bench-token-cache-postgres").toAbsolutePath();
        try (AppInstance app = AppInstance.start(
                "virtdevice.database.embedded.data-directory=" + data,
                "virtdevice.database.embedded.fresh=true",
                "virtdevice.crypto.secret-key-file=" + data.resolveSibling("bench-token-cache-secret.key"),
                "virtdevice.web.secure-cookies=false",
                "virtdevice.oauth.clients.alexa.vendor-id=M2TESTVENDOR",
                "virtdevice.oauth.clients.alexa.client-secret=" + IntegrationTest.ALEXA_CLIENT_SECRET,
                "LOG_FORMAT=",
                "logging.level.root=WARN")) {
            TestDatabase db = TestDatabase.of(app.context());
            Fixtures.TestUser user = new Fixtures(db.dataSource(), app.context().getBean(PasswordHasher.class)).owner();
            String token = new OAuthFlow(app.port()).link(OAuthFlow.ALEXA, "read write", user.email()).accessToken();
            System.out.println(measure(app, app.context().getBean(OAuthAccessTokenAuthenticator.class), token));
        } finally {
            EmbeddedDatabaseEnvironment.stop(data);
        }
    }

    static String measure(AppInstance app, OAuthAccessTokenAuthenticator authenticator, String token) {
        for (int i = 0; i < 200; i++) {
            authenticator.clear();
            require(authenticator.authenticate(token).isPresent());
        }
        long[] uncached = new long[500];
        for (int i = 0; i < uncached.length; i++) {
            authenticator.clear();
            long start = System.nanoTime();
            require(authenticator.authenticate(token).isPresent());
            uncached[i] = System.nanoTime() - start;
        }
        long[] cached = new long[50_000];
        for (int i = 0; i < cached.length; i++) {
            long start = System.nanoTime();
            authenticator.authenticate(token);
            cached[i] = System.nanoTime() - start;
        }
        Api api = new Api(app.port()).bearer(token);
        for (int i = 0; i < 50; i++) {
            api.get("/api/v1/devices");
        }
        long[] http = new long[300];
        for (int i = 0; i < http.length; i++) {
            long start = System.nanoTime();
            require(api.get("/api/v1/devices").status() == 200);
            http[i] = System.nanoTime() - start;
        }
        return "Bearer validation of an OAuth access token: uncached (one definer-function call in its own "
                + "transaction) median " + micros(median(uncached)) + " µs, p95 " + micros(p95(uncached))
                + " µs; cached median " + micros(median(cached)) + " µs, p95 " + micros(p95(cached))
                + " µs (speed-up " + median(uncached) / Math.max(1, median(cached)) + "x); whole GET /api/v1/devices"
                + " over HTTP with the cached token median " + micros(median(http)) + " µs, p95 " + micros(p95(http))
                + " µs";
    }

    private static void require(boolean condition) {
        if (!condition) {
            throw new IllegalStateException("the token was not accepted");
        }
    }

    private static long median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static long p95(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[(int) (sorted.length * 0.95)];
    }

    private static String micros(long nanos) {
        return String.format(Locale.ROOT, "%.1f", nanos / 1000.0);
    }
}
