package io.virtdevice.webhooks;

import io.virtdevice.platform.mail.MailMessage;
import io.virtdevice.platform.mail.Mailer;
import io.virtdevice.platform.web.WebSettings;
import java.time.Duration;
import java.util.UUID;
import org.springframework.stereotype.Component;

/** Tells a webhook's owner that VirtDevice turned it off; sent after (and only if) the disabling commits. */
@Component
class WebhookMails {

    private final Mailer mailer;
    private final String base;

    WebhookMails(Mailer mailer, WebSettings web) {
        this.mailer = mailer;
        this.base = web.baseUrl();
    }

    /**
     * @param reason {@code gone} (the endpoint answered 410) or {@code failing} (every attempt failed for
     *     {@code disableAfter})
     * @param lastStatus the last attempt's HTTP status, or null when it got no answer
     */
    void disabled(String to, UUID webhookId, String url, String reason, Integer lastStatus, String lastError,
            Duration disableAfter) {
        String why = "gone".equals(reason)
                ? "its endpoint answered 410 Gone, which tells senders to stop"
                : "every delivery to it has failed for " + hours(disableAfter) + " (last attempt: "
                        + (lastStatus != null ? "HTTP " + lastStatus : "no answer, " + lastError) + ")";
        mailer.send(new MailMessage(to, "Your VirtDevice webhook to " + WebhookManagement.host(url) + " was turned off",
                """
                We turned off your webhook

                    %s

                because %s.

                No further events are sent to it, and messages that were waiting for a retry are not sent
                (they show as failed); you can send any of them again from the webhook's delivery log once the
                endpoint works.

                To turn the webhook back on, fix the endpoint and then send

                    PATCH %s/api/v1/webhooks/%s
                    {"enabled": true}

                You get this message because you own this webhook on VirtDevice.
                """.formatted(url, why, base, webhookId)));
    }

    private static String hours(Duration duration) {
        long hours = duration.toHours();
        return hours >= 1 ? hours + (hours == 1 ? " hour" : " hours") : duration.toSeconds() + " seconds";
    }
}
