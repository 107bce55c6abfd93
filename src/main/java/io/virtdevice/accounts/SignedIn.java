package io.virtdevice.accounts;

import io.virtdevice.platform.security.CurrentUser;
import java.util.Set;

/** The outcome of a successful sign-in: the session principal and the account to show. */
record SignedIn(CurrentUser principal, Account account) {

    /** A browser session may read and write everything the user may. */
    static SignedIn of(Account account) {
        CurrentUser principal = new CurrentUser(account.id(), account.tenant().id(), account.email(),
                CurrentUser.AuthMethod.SESSION, Set.of("read", "write"), null);
        return new SignedIn(principal, account);
    }
}
