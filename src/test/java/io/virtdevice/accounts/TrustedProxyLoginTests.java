package io.virtdevice.accounts;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.AppInstance;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.env.Environment;

/**
 * Login throttling as an attacker meets it, behind a load balancer: an instance configured to trust
 * exactly one proxy address (127.0.0.1, as {@code docs/operations.md} tells operators to do) takes the
 * client address from its {@code X-Forwarded-For}, so clients behind the proxy are throttled separately;
 * a peer it does not trust (127.0.0.2 here) cannot choose its address by sending the header. Throttling
 * falls on the attacker's address: the account owner signs in from another address meanwhile.
 */
@IntegrationTest
class TrustedProxyLoginTests {

    private static final AtomicInteger ADDRESSES = new AtomicInteger();
    private static AppInstance behindProxy;

    @LocalServerPort
    int port;

    @Autowired
    Environment environment;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    TestAccounts accounts;

    @BeforeAll
    static void startBehindAProxy() {
        behindProxy = AppInstance.start("server.forward-headers-strategy=native",
                "virtdevice.web.trusted-proxies=127\\.0\\.0\\.1", "virtdevice.web.secure-cookies=false",
                "LOG_FORMAT=", "logging.level.root=WARN");
    }

    @AfterAll
    static void stop() {
        behindProxy.close();
    }

    @BeforeEach
    void setUp() {
        accounts = new TestAccounts(port, environment, dataSource, hasher);
    }

    @Test
    void wrongPasswordsFromOneAddressDoNotLockTheOwnerOutElsewhere() {
        Fixtures.TestUser owner = accounts.fixtures.owner();
        Client attacker = Client.viaProxy(newAddress());
        for (int i = 0; i < 10; i++) {
            assertThat(attacker.login(owner.email(), "guess " + i)).isEqualTo(401);
        }

        // the attacker's address waits, even with the right password; the owner's does not
        assertThat(attacker.login(owner.email(), Fixtures.PASSWORD)).isEqualTo(429);
        assertThat(Client.viaProxy(newAddress()).login(owner.email(), Fixtures.PASSWORD)).isEqualTo(200);
        assertThat(accounts.count("select count(*) from security_events where email = ? and kind = 'login_failed'"
                + " and ip_address = cast(? as inet)", owner.email(), attacker.forwardedFor)).isEqualTo(10);
    }

    @Test
    void clientsBehindTheProxyAreThrottledSeparately() {
        Fixtures.TestUser owner = accounts.fixtures.owner();
        Client sprayer = Client.viaProxy(newAddress());
        // one address trying passwords on many accounts is stopped after 50 failures in 15 minutes
        for (int i = 0; i < 50; i++) {
            assertThat(sprayer.login(Fixtures.uniqueEmail("sprayed"), "guess")).isEqualTo(401);
        }

        assertThat(sprayer.login(owner.email(), Fixtures.PASSWORD)).isEqualTo(429);
        // everybody else behind the same proxy signs in as usual
        assertThat(Client.viaProxy(newAddress()).login(owner.email(), Fixtures.PASSWORD)).isEqualTo(200);
    }

    @Test
    void anUntrustedPeerCannotChooseItsAddress() {
        Fixtures.TestUser owner = accounts.fixtures.owner();
        for (int i = 0; i < 10; i++) {
            // a fresh forwarded address every time, from a peer that is not the proxy
            assertThat(Client.direct("127.0.0.2", newAddress()).login(owner.email(), "guess " + i)).isEqualTo(401);
        }

        assertThat(Client.direct("127.0.0.2", newAddress()).login(owner.email(), Fixtures.PASSWORD)).isEqualTo(429);
        assertThat(accounts.count("select count(*) from security_events where email = ? and kind = 'login_failed'"
                + " and ip_address = '127.0.0.2'", owner.email())).isEqualTo(10);
    }

    @Test
    void aFloodFromManyAddressesTurnsAwayOnlyAddressesTheAccountNeverUsed() {
        Fixtures.TestUser owner = accounts.fixtures.owner();
        Client home = Client.viaProxy(newAddress());
        assertThat(home.login(owner.email(), Fixtures.PASSWORD)).isEqualTo(200);
        // a botnet's 100 failures in the last minutes, each from its own address
        accounts.superuserUpdate("""
                insert into security_events (kind, email, ip_address, created_at)
                select 'login_failed', ?, cast('10.77.0.0' as inet) + g, now() - interval '1 minute'
                  from generate_series(1, 100) g
                """, owner.email());

        assertThat(Client.viaProxy(newAddress()).login(owner.email(), Fixtures.PASSWORD)).isEqualTo(429);
        // the owner, from where they signed in before, still gets in
        assertThat(home.login(owner.email(), Fixtures.PASSWORD)).isEqualTo(200);
    }

    @Test
    void theForwardedChainIsReadFromTheRight() {
        Fixtures.TestUser owner = accounts.fixtures.owner();
        String client = newAddress();
        // what the client sent itself is on the left; the trusted proxy appended the address it saw
        Client spoofing = Client.viaProxy("198.51.100.77, " + client);

        assertThat(spoofing.login(owner.email(), "guess")).isEqualTo(401);

        assertThat(accounts.count("select count(*) from security_events where email = ? and kind = 'login_failed'"
                + " and ip_address = cast(? as inet)", owner.email(), client)).isEqualTo(1);
        assertThat(accounts.count("select count(*) from security_events where email = ? and kind = 'login_failed'"
                + " and ip_address = '198.51.100.77'", owner.email())).isZero();
    }

    @Test
    void anIpv6PeerIsRecordedWithoutBrackets() {
        Fixtures.TestUser owner = accounts.fixtures.owner();
        // not a trusted proxy here (only 127.0.0.1 is): its own address counts, as "::1" (inet refuses "[::1]")
        Client ipv6 = Client.direct("::1", newAddress());

        assertThat(ipv6.login(owner.email(), "guess")).isEqualTo(401);

        assertThat(accounts.count("select count(*) from security_events where email = ? and kind = 'login_failed'"
                + " and ip_address = '::1'", owner.email())).isEqualTo(1);
    }

    @Test
    void theNameOfTheSettingBeforeJettyIsStillRead() {
        // SERVER_TOMCAT_REMOTEIP_INTERNALPROXIES (the Tomcat-era name operators have in their environment) names
        // only 127.0.0.2 here: 127.0.0.1, trusted by default as a loopback address, is not a proxy any more
        try (AppInstance renamed = AppInstance.start("server.forward-headers-strategy=native",
                "SERVER_TOMCAT_REMOTEIP_INTERNALPROXIES=127\\.0\\.0\\.2", "virtdevice.web.secure-cookies=false",
                "LOG_FORMAT=", "logging.level.root=WARN")) {
            Fixtures.TestUser owner = accounts.fixtures.owner();
            String behind = newAddress();
            String claimed = newAddress();

            assertThat(new Client("127.0.0.2", behind, renamed.port()).login(owner.email(), "guess")).isEqualTo(401);
            assertThat(new Client("127.0.0.1", claimed, renamed.port()).login(owner.email(), "guess")).isEqualTo(401);

            assertThat(accounts.count("select count(*) from security_events where email = ? and kind = 'login_failed'"
                    + " and ip_address = cast(? as inet)", owner.email(), behind)).isEqualTo(1);
            assertThat(accounts.count("select count(*) from security_events where email = ? and kind = 'login_failed'"
                    + " and ip_address = '127.0.0.1'", owner.email())).isEqualTo(1);
            assertThat(accounts.count("select count(*) from security_events where email = ? and kind = 'login_failed'"
                    + " and ip_address = cast(? as inet)", owner.email(), claimed)).isZero();
        }
    }

    /** A distinct documentation-range (TEST-NET-3) address per call. */
    private static String newAddress() {
        int n = ADDRESSES.incrementAndGet();
        return "203.0." + (113 + n / 250) + "." + (1 + n % 250);
    }

    /** A browser-like JSON client with its own CSRF cookie, connecting from a chosen local address. */
    private static final class Client {

        private final HttpClient http;
        private final String forwardedFor;
        private final String base;
        private String csrf;

        private Client(String localAddress, String forwardedFor) {
            this(localAddress, forwardedFor, behindProxy.port());
        }

        private Client(String localAddress, String forwardedFor, int port) {
            try {
                this.http = HttpClient.newBuilder()
                        .localAddress(InetAddress.getByName(localAddress))
                        .connectTimeout(Duration.ofSeconds(5))
                        .build();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            this.forwardedFor = forwardedFor;
            // an IPv6 peer connects to the IPv6 loopback
            this.base = (localAddress.contains(":") ? "http://[::1]:" : "http://127.0.0.1:") + port;
        }

        /** A client behind the trusted proxy: the proxy connects and names the client. */
        static Client viaProxy(String clientAddress) {
            return new Client("127.0.0.1", clientAddress);
        }

        /** A peer the app does not trust, claiming to forward for {@code claimed}. */
        static Client direct(String peer, String claimed) {
            return new Client(peer, claimed);
        }

        int login(String email, String password) {
            if (csrf == null) {
                HttpResponse<String> token = send(HttpRequest.newBuilder(URI.create(base + "/api/v1/auth/csrf")).GET());
                csrf = token.headers().allValues("Set-Cookie").stream()
                        .filter(c -> c.startsWith("XSRF-TOKEN="))
                        .map(c -> c.substring("XSRF-TOKEN=".length()).split(";", 2)[0])
                        .findFirst()
                        .orElseThrow(() -> new AssertionError("no CSRF cookie: " + token.headers()));
            }
            String body = "{\"email\":\"" + email + "\",\"password\":\"" + password + "\"}";
            return send(HttpRequest.newBuilder(URI.create(base + "/api/v1/auth/login"))
                    .header("Content-Type", "application/json")
                    .header("Cookie", "XSRF-TOKEN=" + csrf)
                    .header("X-XSRF-TOKEN", csrf)
                    .POST(HttpRequest.BodyPublishers.ofString(body))).statusCode();
        }

        private HttpResponse<String> send(HttpRequest.Builder request) {
            try {
                HttpRequest built = request.header("X-Forwarded-For", forwardedFor)
                        .timeout(Duration.ofSeconds(30))
                        .build();
                return http.send(built, HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }
}
