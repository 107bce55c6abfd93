package io.virtdevice.accounts;

import io.virtdevice.platform.mail.MailMessage;
import io.virtdevice.platform.mail.Mailer;
import io.virtdevice.platform.web.WebSettings;
import org.springframework.stereotype.Component;

/** The account e-mails. Links point at the public base URL; tokens appear only in the link. */
@Component
class AccountMails {

    private final Mailer mailer;
    private final String base;

    AccountMails(Mailer mailer, WebSettings web) {
        this.mailer = mailer;
        this.base = web.baseUrl();
    }

    void verification(String to, String token) {
        mailer.send(new MailMessage(to, "Confirm your email address for VirtDevice", """
                Welcome to VirtDevice!

                Please confirm your email address by opening this link (valid for 48 hours):

                %s/verify-email?token=%s

                If you did not sign up, ignore this message.
                """.formatted(base, token)));
    }

    void alreadyRegistered(String to) {
        mailer.send(new MailMessage(to, "You already have a VirtDevice account", """
                Someone (hopefully you) tried to sign up for VirtDevice with this email address, but it already
                has an account.

                Sign in:            %s/login
                Forgot password?    %s/reset-password

                If this was not you, you can ignore this message; nothing has changed.
                """.formatted(base, base)));
    }

    void passwordReset(String to, String token) {
        mailer.send(new MailMessage(to, "Reset your VirtDevice password", """
                Someone (hopefully you) asked to reset the password of your VirtDevice account.

                Choose a new password here (valid for 30 minutes, once):

                %s/reset-password?token=%s

                If this was not you, ignore this message; your password stays as it is.
                """.formatted(base, token)));
    }

    void invitation(String to, String tenantName, String inviter, String role, String token) {
        mailer.send(new MailMessage(to, "You are invited to join a team on VirtDevice", """
                %s invited you to join "%s" on VirtDevice as %s.

                Accept the invitation and choose your password here (valid for 7 days):

                %s/invitation?token=%s

                If you do not know the sender, ignore this message.
                """.formatted(inviter, tenantName, role, base, token)));
    }
}
