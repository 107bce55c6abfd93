package io.virtdevice.platform.mail;

import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Outgoing mail. SMTP itself is configured with the standard {@code spring.mail.*} keys; without
 * {@code spring.mail.host} every message is written to the outbox directory instead.
 *
 * @param from the sender, e.g. {@code VirtDevice <no-reply@example.com>}
 * @param outboxDirectory where messages go as {@code .eml} files when no SMTP host is configured
 */
@ConfigurationProperties("virtdevice.mail")
public record MailSettings(
        @DefaultValue("VirtDevice <no-reply@localhost>") String from,
        @DefaultValue("data/outbox") Path outboxDirectory) {}
