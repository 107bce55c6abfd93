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
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How fast the token endpoint answers Alexa (spec §8: within 4.5 s): the authorization_code grant (HTTP Basic,
 * PKCE S256) and the refresh_token grant, one request at a time over HTTP, p50/p99/max. Not a test (speed is no
 * test's business): run by {@code bench/alexa-token-endpoint.sh}. Starts the app on a fresh embedded
 * PostgreSQL in {@code target/bench-alexa-token-postgres}.
 */
public final class AlexaTokenEndpointBenchmark {

    private static final int WARM_UP = 30;
    private static final int MEASURED = 300;

    private AlexaTokenEndpointBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path data = Path.of("target", "bench-alexa-token-postgres").toAbsolutePath();
        try (AppInstance app = AppInstance.start(
                "virtdevice.database.embedded.data-directory=" + data,
                "virtdevice.database.embedded.fresh=true",
                "virtdevice.crypto.secret-key-file=" + data.resolveSibling("bench-alexa-token-secret.key"),
                "virtdevice.web.secure-cookies=false",
                "virtdevice.oauth.clients.alexa.vendor-id=M2TESTVENDOR",
                "virtdevice.oauth.clients.alexa.client-secret=" + IntegrationTest.ALEXA_CLIENT_SECRET,
                "virtdevice.security.unknown-token-limit=1000000",
                "LOG_FORMAT=",
                "logging.level.root=WARN")) {
            TestDatabase db = TestDatabase.of(app.context());
            Fixtures.TestUser user = new Fixtures(db.dataSource(), app.context().getBean(PasswordHasher.class)).owner();
            OAuthFlow flow = new OAuthFlow(app.port());
            Api browser = flow.browser();
            // the first code through login and a remembered consent; every later one straight from authorize
            Map<String, String> first = OAuthFlow.request(OAuthFlow.ALEXA, OAuthFlow.ALEXA_NA, "read write",
                    OAuthFlow.state(), null);
            flow.consent(browser, flow.signInThrough(browser, first, user.email()), List.of("read", "write"), true);

            long[] codes = new long[MEASURED];
            String refreshToken = null;
            for (int i = 0; i < WARM_UP + MEASURED; i++) {
                OAuthFlow.Pkce pkce = OAuthFlow.Pkce.create();
                Map<String, String> params = OAuthFlow.request(OAuthFlow.ALEXA, OAuthFlow.ALEXA_NA, "read write",
                        OAuthFlow.state(), pkce);
                String code = OAuthFlow.redirectParameters(flow.authorize(browser, params), OAuthFlow.ALEXA_NA)
                        .get("code");
                long start = System.nanoTime();
                Api.Response response = flow.redeem(OAuthFlow.ALEXA, code, OAuthFlow.ALEXA_NA, pkce);
                long took = System.nanoTime() - start;
                require(response);
                refreshToken = response.json().path("refresh_token").asString();
                if (i >= WARM_UP) {
                    codes[i - WARM_UP] = took;
                }
            }
            long[] refreshes = new long[MEASURED];
            for (int i = 0; i < WARM_UP + MEASURED; i++) {
                long start = System.nanoTime();
                Api.Response response = flow.refresh(OAuthFlow.ALEXA, refreshToken);
                long took = System.nanoTime() - start;
                require(response);
                refreshToken = response.json().path("refresh_token").asString();
                if (i >= WARM_UP) {
                    refreshes[i - WARM_UP] = took;
                }
            }
            System.out.println("Token endpoint, alexa-smart-home client, HTTP Basic, one request at a time ("
                    + MEASURED + " each after " + WARM_UP + " warm-up): authorization_code (+PKCE) " + figures(codes)
                    + "; refresh_token (rotation) " + figures(refreshes));
        } finally {
            EmbeddedDatabaseEnvironment.stop(data);
        }
    }

    private static void require(Api.Response response) {
        if (response.status() != 200) {
            throw new IllegalStateException("the token endpoint answered " + response);
        }
    }

    private static String figures(long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return "p50 " + millis(sorted[sorted.length / 2]) + " ms, p99 " + millis(sorted[(int) (sorted.length * 0.99)])
                + " ms, max " + millis(sorted[sorted.length - 1]) + " ms";
    }

    private static String millis(long nanos) {
        return String.format(Locale.ROOT, "%.1f", nanos / 1_000_000.0);
    }
}
