package io.virtdevice.accounts;

import io.virtdevice.activity.ActivityAction;
import io.virtdevice.activity.ActivityLog;
import io.virtdevice.devices.ChangeSource;
import io.virtdevice.devices.DeviceManagement;
import io.virtdevice.platform.crypto.Tokens;
import io.virtdevice.platform.security.CredentialRevoked;
import io.virtdevice.platform.security.CurrentUser;
import io.virtdevice.platform.tenancy.TenantContext;
import io.virtdevice.platform.tenancy.TenantScope;
import io.virtdevice.platform.tenancy.TenantScopedTransactionManager;
import io.virtdevice.platform.web.ApiProblem;
import java.security.SecureRandom;
import java.text.Normalizer;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The accounts module's API for a user's own account: sign-up, email verification, password reset and
 * change, and account deletion. Answers never reveal whether an email has an account; mails leave only
 * after commit. Methods that hash a password do it before opening their transaction.
 */
@Service
public class AccountManagement {

    /** Devices on the free plan every new user starts with. */
    static final int FREE_PLAN_MAX_DEVICES = 2;

    static final Duration VERIFICATION_TTL = Duration.ofHours(48);
    static final Duration RESET_TTL = Duration.ofMinutes(30);

    private static final SecureRandom RANDOM = new SecureRandom();

    private final AccountRepository accounts;
    private final CredentialRepository credentials;
    private final PasswordHashing hashing;
    private final AccountMails mails;
    private final ActivityLog activity;
    private final DataSource dataSource;
    private final TransactionTemplate tx;
    private final ApplicationEventPublisher events;
    private final DeviceManagement devices;
    private final PasswordResetQueue resets;
    private final MailLimits mailLimits;

    AccountManagement(AccountRepository accounts, CredentialRepository credentials, PasswordHashing hashing,
            AccountMails mails, ActivityLog activity, DataSource dataSource, PlatformTransactionManager transactions,
            ApplicationEventPublisher events, DeviceManagement devices, PasswordResetQueue resets,
            MailLimits mailLimits) {
        this.mailLimits = mailLimits;
        this.accounts = accounts;
        this.credentials = credentials;
        this.hashing = hashing;
        this.mails = mails;
        this.activity = activity;
        this.dataSource = dataSource;
        this.tx = new TransactionTemplate(transactions);
        this.events = events;
        this.devices = devices;
        this.resets = resets;
    }

    /** What sign-up needs; {@code slug} and {@code name} may be null. */
    public record SignUp(String tenantName, String slug, String email, String password, String name) {}

    /**
     * Creates tenant, owner and free plan and mails a verification link, or, for an email that already has
     * an account, mails a notice instead and creates nothing. The caller answers the same either way.
     *
     * @throws SlugTaken when another tenant has the slug
     */
    public void signUp(SignUp form) {
        mailLimits.toAddress(form.email());
        String email = normalizeEmail(form.email());
        String slug = form.slug() != null ? form.slug() : deriveSlug(form.tenantName());
        String passwordHash = hashing.hash(form.password());
        TenantScope.callWithoutContext(() -> tx.execute(s -> {
            Optional<TenantContext> created = accounts.signUp(text(form.tenantName()), slug, email,
                    blankToNull(form.name()), passwordHash, FREE_PLAN_MAX_DEVICES);
            created.ifPresentOrElse(context -> {
                TenantScopedTransactionManager.rebind(dataSource, context);
                activity.record(context, ActivityAction.USER_SIGNED_UP, "web", null, Map.of("email", email));
                String token = Tokens.generate("vdv_");
                accounts.issueVerification(Tokens.sha256(token), VERIFICATION_TTL);
                mails.verification(email, token);
            }, () -> mails.alreadyRegistered(email));
            return null;
        }));
    }

    /**
     * Creates a tenant and owner for a service's own use (IFTTT's endpoint-test user): no mail, a random
     * password nobody knows, and room for {@code maxDevices} devices.
     *
     * @return the new owner's context, or empty when the email already has an account
     */
    public Optional<TenantContext> createServiceAccount(String tenantName, String email, String name, int maxDevices) {
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        String passwordHash = hashing.hash(java.util.HexFormat.of().formatHex(secret));
        String address = normalizeEmail(email);
        return TenantScope.callWithoutContext(() -> tx.execute(s -> {
            Optional<TenantContext> created = accounts.signUp(tenantName, deriveSlug(tenantName), address, name,
                    passwordHash, maxDevices);
            created.ifPresent(context -> {
                TenantScopedTransactionManager.rebind(dataSource, context);
                activity.record(context, ActivityAction.USER_SIGNED_UP, "system", null, Map.of("email", address));
            });
            return created;
        }));
    }

    /** @throws InvalidToken for an unknown, expired or used token */
    @Transactional
    public void verifyEmail(String token) {
        TenantContext context = accounts.verifyEmail(Tokens.sha256(token)).orElseThrow(InvalidToken::new);
        TenantScopedTransactionManager.rebind(dataSource, context);
        activity.record(context, ActivityAction.EMAIL_VERIFIED, "web", null, Map.of());
    }

    /** Mails a new verification link to the signed-in user (earlier links stop working). */
    @Transactional
    public void resendVerification(CurrentUser user) {
        String token = Tokens.generate("vdv_");
        if (!accounts.issueVerification(Tokens.sha256(token), VERIFICATION_TTL)) {
            throw ApiProblem.conflict("Your email address is already verified.");
        }
        mails.verification(user.email(), token);
    }

    /**
     * Mails a reset link if the email has an account; does (and reveals) nothing otherwise. Returns at once,
     * before the email is even looked up ({@link PasswordResetQueue}), so its duration says nothing about
     * the address.
     */
    public void requestPasswordReset(String rawEmail) {
        mailLimits.toAddress(rawEmail);
        String address = normalizeEmail(rawEmail);
        resets.submit(() -> TenantScope.callWithoutContext(() -> tx.execute(s -> {
            String token = Tokens.generate("vdr_");
            accounts.requestPasswordReset(address, Tokens.sha256(token), RESET_TTL)
                    .ifPresent(email -> mails.passwordReset(email, token));
            return null;
        })));
    }

    /**
     * Sets a new password with a reset token (publishing {@link PasswordChanged} in the same transaction);
     * the caller then ends all of the user's sessions.
     *
     * @return the user whose password was reset
     * @throws InvalidToken for an unknown, expired or used token
     */
    public UUID resetPassword(String token, String newPassword) {
        String passwordHash = hashing.hash(newPassword);
        return TenantScope.callWithoutContext(() -> tx.execute(s -> {
            TenantContext context = accounts.resetPassword(Tokens.sha256(token), passwordHash)
                    .orElseThrow(InvalidToken::new);
            TenantScopedTransactionManager.rebind(dataSource, context);
            activity.record(context, ActivityAction.PASSWORD_RESET, "web", null, Map.of());
            events.publishEvent(new PasswordChanged(context.tenantId(), context.userId()));
            // once committed, live streams opened with the user's sessions close on every instance
            events.publishEvent(CredentialRevoked.sessions(context.userId()));
            return context.userId();
        }));
    }

    @Transactional(readOnly = true)
    public Account account(CurrentUser user) {
        return accounts.account(user.userId()).orElseThrow(() -> ApiProblem.notFound("Your account"));
    }

    @Transactional
    public Account rename(CurrentUser user, String name) {
        accounts.rename(user.userId(), blankToNull(name));
        return account(user);
    }

    /**
     * Changes the password after checking the current one (publishing {@link PasswordChanged} in the same
     * transaction); the caller then ends the user's other sessions.
     *
     * @throws WrongPassword when the current password does not match
     */
    public void changePassword(CurrentUser user, String currentPassword, String newPassword) {
        String candidate = ownCandidate(user, currentPassword);
        String newHash = hashing.hash(newPassword);
        tx.executeWithoutResult(s -> {
            if (!credentials.changeOwnPassword(candidate, newHash)) {
                throw new WrongPassword("currentPassword");
            }
            activity.record(ActivityAction.PASSWORD_CHANGED, user.source(), null, Map.of());
            events.publishEvent(new PasswordChanged(user.tenantId(), user.userId()));
            // once committed, live streams opened with the user's sessions close on every instance
            events.publishEvent(CredentialRevoked.sessions(user.userId()));
        });
    }

    /**
     * Deletes the user and everything they own; a user alone in their tenant takes the tenant with them.
     * The caller then ends all of the user's sessions.
     *
     * @throws WrongPassword when the password does not match
     */
    public void deleteAccount(CurrentUser user, String password) {
        String candidate = ownCandidate(user, password);
        tx.executeWithoutResult(s -> {
            if (!credentials.verifyOwnPassword(candidate)) {
                throw new WrongPassword("password");
            }
            // written first: it survives when the tenant stays, and goes with the tenant otherwise
            activity.record(ActivityAction.ACCOUNT_DELETED, user.source(), null, Map.of("email", user.email()));
            // each device goes like any other delete (a device.deleted event each, which outlives the user)
            devices.deleteAll(ChangeSource.of(user.source()));
            accounts.deleteOwnAccount();
            // once committed: the user's API keys and tokens stop working and their live streams close everywhere
            events.publishEvent(CredentialRevoked.user(user.userId()));
        });
    }

    /** The password derived under the user's own salt, for the database to compare. */
    private String ownCandidate(CurrentUser user, String password) {
        String salt = tx.execute(s -> credentials.ownSaltPrefix());
        return hashing.derive(salt, user.email(), password);
    }

    static String normalizeEmail(String email) {
        return email.strip().toLowerCase(Locale.ROOT);
    }

    /** A name as people typed it: trimmed and in Unicode NFC, or null when blank. */
    static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : text(s);
    }

    /**
     * Text people see (names): trimmed and composed (Unicode NFC), so "Cafe" + U+0301 and "Caf" + U+00E9
     * are stored, compared and shown as one name.
     */
    static String text(String s) {
        String stripped = s.strip();
        return Normalizer.isNormalized(stripped, Normalizer.Form.NFC)
                ? stripped
                : Normalizer.normalize(stripped, Normalizer.Form.NFC);
    }

    /** A slug from the tenant name plus a random suffix, e.g. "smith-family-k3x9q2". */
    static String deriveSlug(String tenantName) {
        String base = tenantName.toLowerCase(Locale.ROOT)
                .replaceAll("[^a-z0-9]+", "-")
                .replaceAll("^-+|-+$", "");
        if (base.length() > 48) {
            base = base.substring(0, 48).replaceAll("-+$", "");
        }
        StringBuilder suffix = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            suffix.append(Character.forDigit(RANDOM.nextInt(36), 36));
        }
        return base.isEmpty() ? "home-" + suffix : base + "-" + suffix;
    }
}
