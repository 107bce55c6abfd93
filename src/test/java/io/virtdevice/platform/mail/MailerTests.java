package io.virtdevice.platform.mail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.MailSink;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.mail.javamail.JavaMailSenderImpl;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

@IntegrationTest
class MailerTests {

    @TempDir
    Path outbox;

    @Autowired
    PlatformTransactionManager transactions;

    @Autowired
    Mailer applicationMailer;

    Mailer mailer;

    @AfterEach
    void stop() throws InterruptedException {
        if (mailer != null) {
            mailer.destroy();
        }
    }

    private Mailer outboxMailer() {
        mailer = new Mailer((JavaMailSenderImpl) null, new MailSettings("VirtDevice <no-reply@example.test>", outbox));
        return mailer;
    }

    private List<Path> outboxFiles() throws IOException {
        try (Stream<Path> files = Files.list(outbox)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".eml")).toList();
        }
    }

    private List<Path> awaitOutbox(int count) throws Exception {
        await().atMost(Duration.ofSeconds(10)).until(() -> outboxFiles().size() >= count);
        return outboxFiles();
    }

    @Test
    void writesMessagesToTheOutboxWithoutSmtp() throws Exception {
        outboxMailer().send(new MailMessage("ann@example.test", "Hello Ann", "Open https://example.test/x?token=abc"));

        List<Path> files = awaitOutbox(1);

        assertThat(files).hasSize(1);
        assertThat(files.get(0).getFileName().toString()).endsWith(".eml");
        String eml = Files.readString(files.get(0));
        assertThat(eml).contains("Subject: Hello Ann").contains("To: ann@example.test")
                .contains("From: VirtDevice <no-reply@example.test>").contains("token=abc");
    }

    /** First run without SMTP: whoever set the instance up opens the mailed link from the console. */
    @Test
    @ExtendWith(OutputCaptureExtension.class)
    void namesTheMailedLinkInTheLogWithoutSmtp(CapturedOutput output) throws Exception {
        outboxMailer().send(new MailMessage("bea@example.test", "Confirm", "Open https://example.test/verify-email?token=vdv_abc to confirm."));

        awaitOutbox(1);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(output.getOut())
                .contains("bea@example.test").contains("open https://example.test/verify-email?token=vdv_abc"));
    }

    @Test
    void sendsOnlyAfterTheTransactionCommits() throws Exception {
        Mailer outboxMailer = outboxMailer();
        TransactionTemplate tx = new TransactionTemplate(transactions);

        tx.executeWithoutResult(status -> {
            outboxMailer.send(new MailMessage("ann@example.test", "Rolled back", "never sent"));
            status.setRollbackOnly();
        });
        tx.executeWithoutResult(status -> {
            outboxMailer.send(new MailMessage("ann@example.test", "Committed", "sent"));
            assertThat(outbox.toFile().list()).as("nothing leaves before the commit").isEmpty();
        });

        List<Path> files = awaitOutbox(1);
        await("the rolled-back message never follows").during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(5))
                .until(() -> outboxFiles().size() == 1);
        assertThat(Files.readString(files.get(0))).contains("Subject: Committed");
    }

    @Test
    void aFailingSmtpServerNeverFailsTheSender() throws Exception {
        // an SMTP server that takes the connection and never answers: a send on the caller's thread would hang
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            JavaMailSenderImpl unanswered = new JavaMailSenderImpl();
            unanswered.setHost("127.0.0.1");
            unanswered.setPort(silent.getLocalPort());
            mailer = new Mailer(unanswered, new MailSettings("VirtDevice <no-reply@example.test>", outbox));

            CompletableFuture<Void> sending = CompletableFuture.runAsync(
                    () -> mailer.send(new MailMessage("ann@example.test", "Lost", "nobody answers")));
            await("send returns while the server is silent").atMost(Duration.ofSeconds(10)).until(sending::isDone);
            sending.get();
            // the delivery is made in the background, and fails when the server hangs up without a greeting
            silent.accept().close();
        }
        mailer.destroy();
        assertThat(outboxFiles()).isEmpty();
    }

    @Test
    void theApplicationSendsThroughSmtpWhenAHostIsConfigured() {
        MailSink.start();
        String to = "smtp-" + System.nanoTime() + "@example.test";

        applicationMailer.send(new MailMessage(to, "Through SMTP", "Hello"));

        assertThat(MailSink.body(MailSink.await(to, "Through SMTP"))).contains("Hello");
    }
}
