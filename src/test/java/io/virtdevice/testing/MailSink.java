package io.virtdevice.testing;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import jakarta.mail.Address;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistrar;

/**
 * The SMTP server every test in this JVM mails to (127.0.0.1 on a port chosen once per JVM, so test runs
 * in several checkouts at once do not collide; {@link Registration} points the application at it, and
 * {@link #port()} separately started instances). Started on first use and never stopped: the Spring context,
 * shared by all test classes, keeps sending to it. Tests tell their mails apart by their unique recipient
 * addresses.
 */
public final class MailSink {

    private static final long TIMEOUT_MILLIS = 15_000;
    private static final int PORT = freePort();
    private static GreenMail server;

    private MailSink() {}

    public static synchronized GreenMail start() {
        if (server == null) {
            GreenMail greenMail = new GreenMail(new ServerSetup(PORT, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
            greenMail.start();
            server = greenMail;
        }
        return server;
    }

    /** The port the SMTP server listens on (127.0.0.1). */
    public static int port() {
        return PORT;
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Points the application under test at this server. */
    public static class Registration {

        @Bean
        DynamicPropertyRegistrar mailSinkProperties() {
            return registry -> registry.add("spring.mail.port", MailSink::port);
        }
    }

    /** Every message received so far for the address. */
    public static List<MimeMessage> messagesTo(String address) {
        return Arrays.stream(start().getReceivedMessages()).filter(m -> isFor(m, address)).toList();
    }

    /** Waits for the newest message to the address whose subject contains the text. */
    public static MimeMessage await(String address, String subjectContains) {
        return await(address, subjectContains, 1);
    }

    /** Waits until at least {@code count} such messages arrived, and returns the newest. */
    public static MimeMessage await(String address, String subjectContains, int count) {
        long deadline = System.currentTimeMillis() + TIMEOUT_MILLIS;
        while (true) {
            List<MimeMessage> matching = messagesTo(address).stream()
                    .filter(m -> subject(m).contains(subjectContains))
                    .toList();
            if (matching.size() >= count) {
                return matching.get(matching.size() - 1);
            }
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("no mail '" + subjectContains + "' arrived for " + address);
            }
            sleep();
        }
    }

    /** The token of the newest link {@code <base><path>?token=...} mailed to the address with that subject. */
    public static String token(String address, String subjectContains, String path) {
        return token(await(address, subjectContains), path);
    }

    public static String token(MimeMessage message, String path) {
        Matcher m = Pattern.compile(Pattern.quote(path) + "\\?token=([A-Za-z0-9_-]+)").matcher(body(message));
        if (!m.find()) {
            throw new AssertionError("no " + path + " link in: " + body(message));
        }
        return m.group(1);
    }

    public static String body(MimeMessage message) {
        try {
            return message.getContent().toString();
        } catch (IOException | MessagingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String subject(MimeMessage message) {
        try {
            return message.getSubject();
        } catch (MessagingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean isFor(MimeMessage message, String address) {
        try {
            Address[] to = message.getAllRecipients();
            return to != null && Arrays.stream(to).anyMatch(a -> a.toString().equalsIgnoreCase(address));
        } catch (MessagingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
