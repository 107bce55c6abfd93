package io.virtdevice.accounts;

import io.virtdevice.activity.ActivityAction;
import io.virtdevice.activity.ActivityLog;
import io.virtdevice.platform.security.CurrentUser;
import io.virtdevice.platform.tenancy.TenantContext;
import io.virtdevice.platform.tenancy.TenantScope;
import io.virtdevice.platform.tenancy.TenantScopedTransactionManager;
import io.virtdevice.platform.web.RequestInfo;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;
import org.springframework.context.event.EventListener;
import org.springframework.security.authentication.event.LogoutSuccessEvent;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Sign-in with email and password, the one implementation behind the JSON login and the browser form
 * login. Unknown emails cost the same as known ones (a decoy salt) and answer the same. The throttle and
 * failure records are committed in their own transactions, so a failed attempt still counts.
 */
@Component
class PasswordLogin {

    private final CredentialRepository credentials;
    private final AccountRepository accounts;
    private final PasswordHashing hashing;
    private final ActivityLog activity;
    private final DataSource dataSource;
    private final TransactionTemplate tx;

    PasswordLogin(CredentialRepository credentials, AccountRepository accounts, PasswordHashing hashing,
            ActivityLog activity, DataSource dataSource, PlatformTransactionManager transactions) {
        this.credentials = credentials;
        this.accounts = accounts;
        this.hashing = hashing;
        this.activity = activity;
        this.dataSource = dataSource;
        this.tx = new TransactionTemplate(transactions);
    }

    /**
     * Checks the password and records the sign-in.
     *
     * @throws LoginThrottled after too many failures for the email or the client address
     * @throws InvalidCredentials for a wrong password and an unknown email alike
     */
    SignedIn login(String rawEmail, String password) {
        String email = AccountManagement.normalizeEmail(rawEmail);
        String ip = RequestInfo.current().map(RequestInfo::ipAddress).orElse(null);
        CredentialRepository.LoginStart start =
                TenantScope.callWithoutContext(() -> tx.execute(s -> credentials.beginLogin(email, ip)));
        if (start.retryAfterSeconds() > 0) {
            throw new LoginThrottled(start.retryAfterSeconds());
        }
        String candidate = hashing.derive(start.saltPrefix(), email, password);
        Optional<SignedIn> signedIn = TenantScope.callWithoutContext(() -> tx.execute(s -> credentials
                .finishLogin(email, candidate, ip)
                .map(this::signedIn)));
        return signedIn.orElseThrow(InvalidCredentials::new);
    }

    /** Inside the sign-in transaction, once the database has named the user. */
    private SignedIn signedIn(TenantContext context) {
        TenantScopedTransactionManager.rebind(dataSource, context);
        activity.record(context, ActivityAction.USER_LOGIN, "web", null, Map.of());
        return SignedIn.of(accounts.account(context.userId()).orElseThrow());
    }

    /** Records a sign-out (the JSON logout calls this; the browser's /logout arrives as an event). */
    void recordLogout(CurrentUser user) {
        TenantScope.run(user.context(), () -> tx.executeWithoutResult(
                s -> activity.record(user.context(), ActivityAction.USER_LOGOUT, user.source(), null, Map.of())));
    }

    @EventListener
    void on(LogoutSuccessEvent event) {
        if (event.getAuthentication() != null && event.getAuthentication().getPrincipal() instanceof CurrentUser user) {
            recordLogout(user);
        }
    }
}
