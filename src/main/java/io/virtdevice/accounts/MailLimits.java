package io.virtdevice.accounts;

import io.virtdevice.limits.RateLimit;
import io.virtdevice.limits.RateLimiter;
import io.virtdevice.platform.crypto.Tokens;
import io.virtdevice.platform.security.CurrentUser;
import java.util.HexFormat;
import org.springframework.stereotype.Component;

/**
 * The {@code mails} limit of sign-up, password-reset and invitation mails: per recipient address (its hash,
 * not the address, is the bucket key) and, for invitations, per sender too. Checked before anything is
 * written or queued, outside any transaction; a refusal is a 429 whatever the address, so it tells nobody
 * whether the address has an account.
 */
@Component
class MailLimits {

    private final RateLimiter limits;

    MailLimits(RateLimiter limits) {
        this.limits = limits;
    }

    /** A mail nobody signed in asked for (sign-up, password reset): the anonymous plan's quota per address. */
    void toAddress(String email) {
        limits.enforce(RateLimit.MAILS, limits.anonymousPlan(), key(email));
    }

    /** An invitation: the sender's plan, per sender and per address. */
    void invitation(CurrentUser sender, String email) {
        limits.enforce(RateLimit.MAILS, sender.context(), "from:" + sender.userId());
        limits.enforce(RateLimit.MAILS, sender.context(), key(email));
    }

    private static String key(String email) {
        return "to:" + HexFormat.of().formatHex(Tokens.sha256(AccountManagement.normalizeEmail(email)), 0, 16);
    }
}
