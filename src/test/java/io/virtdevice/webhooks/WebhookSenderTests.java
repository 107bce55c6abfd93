package io.virtdevice.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.virtdevice.testing.WebhookReceiver;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The sender against a local receiver, with and without loopback on the allow-list. */
class WebhookSenderTests {

    private final WebhookReceiver receiver = new WebhookReceiver();
    private final WebhookSecret secret = WebhookSecret.generate();

    @AfterEach
    void close() {
        receiver.close();
    }

    @Test
    void refusesAtConnectTimeWhenANameResolvesToABlockedAddress() throws Exception {
        WebhookSender sender = sender(new EgressPolicy(List.of()));
        // localhost passes no check before connecting: only the resolver stands between it and loopback
        WebhookSender.Result result = sender.send(URI.create("https://localhost:" + receiver.port() + "/"), Map.of(),
                "msg_1", "{}", List.of(secret));
        assertThat(result.delivered()).isFalse();
        assertThat(result.httpStatus()).isNull();
        assertThat(result.error()).isEqualTo("destination address is not allowed");
        assertThat(receiver.deliveries()).isEmpty();
        sender.destroy();
    }

    @Test
    void refusesIpLiteralsExplicitlyInEveryNotation() throws Exception {
        WebhookSender sender = sender(new EgressPolicy(List.of()));
        for (String host : List.of("127.0.0.1", "2130706433", "0x7f.1", "[::ffff:127.0.0.1]", "127.0.0.1.")) {
            WebhookSender.Result result = sender.send(URI.create("https://" + host + ":" + receiver.port() + "/"),
                    Map.of(), "msg_1", "{}", List.of(secret));
            assertThat(result.delivered()).isFalse();
            assertThat(result.error()).as(host).isIn("destination address is not allowed", "invalid URL");
        }
        assertThat(receiver.deliveries()).isEmpty();
        sender.destroy();
    }

    @Test
    void theResolverReturnsOnlyPermittedAddresses() throws Exception {
        WebhookSender.GuardedResolver strict = new WebhookSender.GuardedResolver(new EgressPolicy(List.of()));
        for (String host : List.of("localhost", "127.1", "2130706433", "::1", "[::ffff:7f00:1]", "0.0.0.0")) {
            assertThatThrownBy(() -> strict.resolve(host)).as(host).isInstanceOf(WebhookSender.BlockedAddress.class);
        }
        assertThat(strict.resolve("93.184.216.34")).containsExactly(InetAddress.getByName("93.184.216.34"));
        WebhookSender.GuardedResolver allowed =
                new WebhookSender.GuardedResolver(new EgressPolicy(EgressPolicy.Cidr.all("127.0.0.1/32")));
        assertThat(allowed.resolve("localhost")).containsExactly(InetAddress.getByName("127.0.0.1"));
        assertThat(allowed.resolve("2130706433", 80)).hasSize(1);
    }

    @Test
    void plainHttpNeedsAnAllowListedAddress() throws Exception {
        WebhookSender sender = sender(new EgressPolicy(EgressPolicy.Cidr.all("127.0.0.1/32")));
        receiver.trust(secret.encoded());
        WebhookSender.Result ok = sender.send(URI.create(receiver.url("/h")), Map.of("X-A", "b"), "msg_2",
                "{\"a\":1}", List.of(secret));
        assertThat(ok.delivered()).isTrue();
        assertThat(receiver.deliveries()).singleElement().satisfies(d -> {
            assertThat(d.signatureValid()).isTrue();
            assertThat(d.header("X-A")).isEqualTo("b");
            assertThat(d.body()).isEqualTo("{\"a\":1}");
        });
        sender.destroy();

        WebhookSender strict = sender(new EgressPolicy(List.of()));
        assertThat(strict.send(URI.create("http://93.184.216.34/"), Map.of(), "msg_3", "{}", List.of(secret)).error())
                .isEqualTo("plain http is only allowed to allow-listed addresses");
        strict.destroy();
    }

    @Test
    void reusesItsConnectionWhateverTheAnswer() throws Exception {
        WebhookSender sender = sender(new EgressPolicy(EgressPolicy.Cidr.all("127.0.0.1/32")));
        receiver.answer(WebhookReceiver.Answer.status(204), WebhookReceiver.Answer.status(200).withBody("ok"),
                WebhookReceiver.Answer.status(500).withBody("no"), WebhookReceiver.Answer.status(204));
        for (int i = 0; i < 6; i++) {
            sender.send(URI.create(receiver.url("/h")), Map.of(), "msg_" + i, "{}", List.of(secret));
        }
        assertThat(receiver.deliveries()).extracting(WebhookReceiver.Delivery::remotePort).hasSize(6).containsOnly(
                receiver.deliveries().get(0).remotePort());
        sender.destroy();
    }

    @Test
    void readsRetryAfterInSecondsOrAsAnHttpDateCappedAtADay() {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");
        assertThat(WebhookSender.parseRetryAfter("120", now)).isEqualTo(Duration.ofSeconds(120));
        assertThat(WebhookSender.parseRetryAfter(DateTimeFormatter.RFC_1123_DATE_TIME
                .format(now.plusSeconds(90).atOffset(ZoneOffset.UTC)), now)).isEqualTo(Duration.ofSeconds(90));
        assertThat(WebhookSender.parseRetryAfter("Thu, 01 Jan 1970 00:00:00 GMT", now)).isEqualTo(Duration.ZERO);
        assertThat(WebhookSender.parseRetryAfter("9999999999", now)).isEqualTo(Duration.ofHours(24));
        assertThat(WebhookSender.parseRetryAfter("soon", now)).isNull();
        assertThat(WebhookSender.parseRetryAfter("-5", now)).isNull();
    }

    @Test
    void keepsAPrintableKibibyteOfTheResponse() {
        assertThat(WebhookSender.excerpt("ok\u0000\u0007\u001b[31m".getBytes())).isEqualTo("ok[31m");
        assertThat(WebhookSender.excerpt("é".repeat(2000).getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .getBytes(java.nio.charset.StandardCharsets.UTF_8).length).isLessThanOrEqualTo(1024);
        assertThat(WebhookSender.excerpt(new byte[0])).isNull();
    }

    private static WebhookSender sender(EgressPolicy policy) {
        return new WebhookSender(policy, new WebhookSettings(List.of(), List.of(Duration.ofSeconds(1)),
                Duration.ofSeconds(3), Duration.ofSeconds(2), Duration.ofHours(72), Duration.ofHours(24), 20, 30,
                Duration.ofSeconds(60), Duration.ofSeconds(10), 64));
    }
}
