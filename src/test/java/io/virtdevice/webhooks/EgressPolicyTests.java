package io.virtdevice.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.springframework.mock.env.MockEnvironment;

class EgressPolicyTests {

    private final EgressPolicy strict = new EgressPolicy(List.of());
    private final EgressPolicy loopbackAllowed = new EgressPolicy(EgressPolicy.Cidr.all("127.0.0.1/32"));

    @ParameterizedTest
    @ValueSource(strings = {
        "127.0.0.1", "127.1", "2130706433", "0177.0.0.1", "0x7f.0.0.1", "0x7f000001", "127.0.0.1.", "127.255.255.254",
        "0.0.0.0", "0", "10.1.2.3", "100.64.0.1", "169.254.169.254", "172.16.0.1", "172.31.255.255", "192.0.0.8",
        "192.168.1.1", "198.18.0.1", "224.0.0.1", "240.0.0.1", "255.255.255.255",
        "[::1]", "[::]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[::ffff:169.254.169.254]", "[::127.0.0.1]",
        "[fc00::1]", "[fd12:3456::1]", "[fe80::1]", "[64:ff9b::a9fe:a9fe]", "[2002:7f00:1::]", "[ff02::1]",
        "[0:0:0:0:0:ffff:a00:1]"
    })
    void blocksInternalAddressesInEveryNotation(String host) throws UnknownHostException {
        InetAddress address = EgressPolicy.literal(host).orElseThrow();
        assertThat(strict.permits(address)).as(host).isFalse();
        // (java.net.URI itself refuses some notations, such as 127.1, as hosts: refused either way)
        assertThatThrownBy(() -> strict.validate("https://" + host + "/hook"))
                .as(host)
                .isInstanceOf(EgressPolicy.RejectedUrl.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"93.184.216.34", "8.8.8.8", "1.1.1.1", "[2606:4700:4700::1111]", "[2002:808:808::]",
        "172.32.0.1", "100.128.0.1", "198.20.0.1", "11.0.0.1"})
    void allowsPublicAddresses(String host) throws UnknownHostException {
        assertThat(strict.permits(EgressPolicy.literal(host).orElseThrow())).as(host).isTrue();
        assertThat(strict.validate("https://" + host + "/hook").getHost()).isNotBlank();
    }

    @Test
    void readsResolverNotationsToTheSameAddress() throws UnknownHostException {
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        for (String notation : List.of("127.1", "2130706433", "0177.0.0.1", "0x7f.0.0.1", "0x7F000001", "127.0.1",
                "0177.1", "127.0.0.1.")) {
            assertThat(EgressPolicy.literal(notation)).as(notation).contains(loopback);
        }
        assertThat(EgressPolicy.literal("example.com")).isEmpty();
        assertThat(EgressPolicy.literal("cafe.be")).isEmpty();
        assertThat(EgressPolicy.literal("1e100.net")).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"256.0.0.1", "1.2.3.4.5", "08.0.0.1", "0x100000000", "1..2", "4294967296"})
    void refusesNumericHostsNoResolverReadsTheSameWay(String host) {
        assertThatThrownBy(() -> EgressPolicy.literal(host)).isInstanceOf(UnknownHostException.class);
        assertThatThrownBy(() -> strict.validate("https://" + host + "/")).isInstanceOf(EgressPolicy.RejectedUrl.class);
    }

    @Test
    void refusesLocalhostNamesUnlessLoopbackIsAllowListed() {
        for (String url : List.of("https://localhost/", "https://LOCALHOST./x", "https://api.localhost:8443/")) {
            assertThatThrownBy(() -> strict.validate(url)).as(url).hasMessageContaining("internal address");
        }
        assertThat(loopbackAllowed.validate("http://localhost:8080/hook").toString())
                .isEqualTo("http://localhost:8080/hook");
    }

    @Test
    void requiresHttpsExceptForAllowListedAddresses() {
        assertThatThrownBy(() -> strict.validate("http://example.com/hook")).hasMessageContaining("https");
        assertThatThrownBy(() -> loopbackAllowed.validate("http://example.com/hook")).hasMessageContaining("https");
        assertThat(loopbackAllowed.validate("http://127.0.0.1:9000/hook?x=1").toString())
                .isEqualTo("http://127.0.0.1:9000/hook?x=1");
        // the allow-list opens exactly what it names
        assertThatThrownBy(() -> loopbackAllowed.validate("http://127.0.0.2/")).hasMessageContaining("internal");
        assertThatThrownBy(() -> loopbackAllowed.validate("https://[::1]/")).hasMessageContaining("internal");
    }

    @ParameterizedTest
    @ValueSource(strings = {"ftp://example.com/", "file:///etc/passwd", "gopher://example.com/", "javascript:alert(1)",
        "//example.com/x", "/relative", "https://user:pw@example.com/", "https://example.com@127.0.0.1/",
        "https://example.com/#frag", "https://exa mple.com/", "https://example.com/\r\nX-Evil: 1", "https://ex\u00e4mple.com/",
        "https://[fe80::1%25eth0]/", "https:///path", "https://example.com:0/", "https://example.com:99999/", "",
        "https://-bad-.com/"})
    void refusesUrlsThatAreNotPlainHttpsToAHost(String url) {
        assertThatThrownBy(() -> strict.validate(url)).as(url).isInstanceOf(EgressPolicy.RejectedUrl.class);
    }

    @Test
    void normalisesLiteralsAndCaseButKeepsPathAndQuery() {
        assertThat(strict.validate("HTTPS://Example.COM./Hooks/In?Token=A%2FB").toString())
                .isEqualTo("https://example.com/Hooks/In?Token=A%2FB");
        assertThat(strict.validate("https://example.com").toString()).isEqualTo("https://example.com/");
        assertThat(loopbackAllowed.validate("http://2130706433:81/h").toString()).isEqualTo("http://127.0.0.1:81/h");
        assertThat(strict.validate("https://" + "a".repeat(63) + ".example.com/").getHost()).hasSize(75);
        assertThatThrownBy(() -> strict.validate("https://example.com/" + "a".repeat(2100)))
                .hasMessageContaining("2048");
    }

    @Test
    void mapsIpv4InIpv6ToIpv4() throws UnknownHostException {
        assertThat(EgressPolicy.normalize(InetAddress.getByName("[::ffff:10.0.0.1]")))
                .isEqualTo(InetAddress.getByName("10.0.0.1"));
        assertThat(EgressPolicy.normalize(InetAddress.getByName("[::10.0.0.1]")))
                .isEqualTo(InetAddress.getByName("10.0.0.1"));
        assertThat(EgressPolicy.normalize(InetAddress.getByName("[2002:a00:1::]")))
                .isEqualTo(InetAddress.getByName("10.0.0.1"));
        assertThat(EgressPolicy.normalize(InetAddress.getByName("[::1]"))).isEqualTo(InetAddress.getByName("[::1]"));
    }

    @Test
    void refusesToStartInProductionWithInternalRangesAllowed() throws UnknownHostException {
        MockEnvironment prod = new MockEnvironment();
        prod.setActiveProfiles("prod");
        for (String cidr : List.of("127.0.0.1/32", "10.0.0.0/8", "0.0.0.0/0", "::1/128", "::ffff:192.168.0.0/112")) {
            assertThatThrownBy(() -> new EgressPolicy(settings(cidr), prod))
                    .as(cidr)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Refusing to start");
        }
        assertThat(new EgressPolicy(settings("203.0.113.0/24"), prod).allowListed(InetAddress.getByName("203.0.113.5")))
                .isTrue();
        assertThat(new EgressPolicy(settings("127.0.0.1/32"), new MockEnvironment())
                .permits(InetAddress.getByName("127.0.0.1"))).isTrue();
    }

    private static WebhookSettings settings(String cidr) {
        return new WebhookSettings(List.of(cidr), List.of(Duration.ofSeconds(1)), Duration.ofSeconds(15),
                Duration.ofSeconds(5), Duration.ofHours(72), Duration.ofHours(24), 20, 30,
                Duration.ofSeconds(60), Duration.ofSeconds(10), 64);
    }
}
