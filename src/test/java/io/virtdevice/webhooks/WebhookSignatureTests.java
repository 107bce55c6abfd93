package io.virtdevice.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class WebhookSignatureTests {

    @Test
    void reproducesTheStandardWebhooksTestVector() {
        WebhookSecret secret = WebhookSecret.parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        String signature = WebhookSigner.sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8));
        assertThat(signature).isEqualTo("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    @Test
    void signsWithEveryActiveSecretSpaceSeparatedNewestFirst() {
        WebhookSecret fresh = WebhookSecret.generate();
        WebhookSecret old = WebhookSecret.parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        byte[] body = "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8);
        String header = WebhookSigner.header(List.of(fresh, old), "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body);
        assertThat(header.split(" ")).containsExactly(
                WebhookSigner.sign(fresh, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
                "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    @Test
    void generatesUniqueThirtyTwoByteSecretsInTheWhsecFormat() {
        String a = WebhookSecret.generate().encoded();
        String b = WebhookSecret.generate().encoded();
        assertThat(a).startsWith("whsec_").isNotEqualTo(b);
        assertThat(Base64.getDecoder().decode(a.substring(6))).hasSize(32);
        assertThat(WebhookSecret.parse(a).encoded()).isEqualTo(a);
        assertThat(WebhookSecret.generate().toString()).doesNotContain(a.substring(6));
    }

    @Test
    void refusesSecretsOutsideTwentyFourToSixtyFourBytes() {
        assertThatThrownBy(() -> WebhookSecret.of(new byte[23])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> WebhookSecret.of(new byte[65])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> WebhookSecret.parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
