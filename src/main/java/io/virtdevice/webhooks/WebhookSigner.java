package io.virtdevice.webhooks;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.List;
import java.util.stream.Collectors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Standard Webhooks signatures: {@code v1,} + base64(HMAC-SHA256(secret, msg_id + "." + timestamp + "." +
 * body)) over the exact bytes sent. During a secret rotation each active secret contributes one
 * signature, space-separated, so receivers that know either secret accept the message.
 */
final class WebhookSigner {

    private WebhookSigner() {}

    static String sign(WebhookSecret secret, String msgId, long timestamp, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.key(), "HmacSHA256"));
            mac.update((msgId + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
            return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is unavailable", e);
        }
    }

    /** The {@code webhook-signature} header value for every active secret, newest first. */
    static String header(List<WebhookSecret> secrets, String msgId, long timestamp, byte[] body) {
        return secrets.stream().map(s -> sign(s, msgId, timestamp, body)).collect(Collectors.joining(" "));
    }
}
