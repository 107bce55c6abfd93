package io.virtdevice.platform.mail;

import java.util.Objects;

/** A plain-text message to one recipient. */
public record MailMessage(String to, String subject, String text) {

    public MailMessage {
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(text, "text");
    }
}
