package io.virtdevice.platform.mail;

import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.regex.MatchResult;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.mail.javamail.JavaMailSender;
import org.springframework.mail.javamail.MimeMessageHelper;
import org.springframework.scheduling.concurrent.CustomizableThreadFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Sends mail off the request thread, and only once the caller's transaction has committed: a rolled-back
 * change never mails anybody, and a slow or failing SMTP server never slows down or fails a request
 * (failures are logged, not retried). Uses SMTP when {@code spring.mail.host} is set, otherwise writes
 * each message as an {@code .eml} file into {@link MailSettings#outboxDirectory()} for local use.
 */
@Component
public class Mailer implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(Mailer.class);
    private static final Pattern LINK = Pattern.compile("https?://\\S+");

    private final JavaMailSender smtp;
    private final MailSettings settings;
    private final ThreadPoolExecutor executor;

    @Autowired
    Mailer(ObjectProvider<JavaMailSender> smtp, MailSettings settings) {
        this(smtp.getIfAvailable(), settings);
    }

    /** With a null sender, messages go to the outbox directory. */
    Mailer(JavaMailSender smtp, MailSettings settings) {
        this.smtp = smtp;
        this.settings = settings;
        this.executor = new ThreadPoolExecutor(2, 2, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(1000),
                new CustomizableThreadFactory("mail-"),
                (task, pool) -> log.warn("mail queue full, dropping a message"));
    }

    /** Queues a message; inside a transaction it leaves only after (and only if) the transaction commits. */
    public void send(MailMessage message) {
        if (TransactionSynchronizationManager.isSynchronizationActive()) {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    enqueue(message);
                }
            });
        } else {
            enqueue(message);
        }
    }

    private void enqueue(MailMessage message) {
        executor.execute(() -> deliver(message));
    }

    private void deliver(MailMessage message) {
        try {
            MimeMessage mime = smtp != null ? smtp.createMimeMessage() : new MimeMessage(Session.getInstance(new Properties()));
            MimeMessageHelper helper = new MimeMessageHelper(mime, false, "UTF-8");
            helper.setFrom(settings.from());
            helper.setTo(message.to());
            helper.setSubject(message.subject());
            helper.setText(message.text());
            helper.setSentDate(new Date());
            if (smtp != null) {
                smtp.send(mime);
                log.debug("mail '{}' sent", message.subject());
            } else {
                Path file = writeToOutbox(mime);
                // No SMTP (a self-hosted instance being set up): whoever runs it opens the link from the console.
                List<String> links = LINK.matcher(message.text()).results().map(MatchResult::group).toList();
                if (links.isEmpty()) {
                    log.info("mail '{}' written to {}", message.subject(), file);
                } else {
                    log.info("mail '{}' for {} written to {}; open {}", message.subject(), message.to(), file,
                            String.join(" ", links));
                }
            }
        } catch (Exception e) {
            log.warn("could not deliver mail '{}': {}", message.subject(), e.toString());
        }
    }

    private Path writeToOutbox(MimeMessage mime) throws Exception {
        Path directory = settings.outboxDirectory().toAbsolutePath();
        Files.createDirectories(directory);
        String name = Instant.now().toEpochMilli() + "-" + UUID.randomUUID();
        // written under a temporary name and moved into place, so a reader never sees half a message
        Path partial = directory.resolve(name + ".part");
        try (OutputStream out = Files.newOutputStream(partial)) {
            mime.writeTo(out);
        }
        return Files.move(partial, directory.resolve(name + ".eml"), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    @Override
    public void destroy() throws InterruptedException {
        executor.shutdown();
        executor.awaitTermination(10, TimeUnit.SECONDS);
    }
}
