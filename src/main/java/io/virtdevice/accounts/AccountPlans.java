package io.virtdevice.accounts;

import io.virtdevice.limits.PlanSource;
import io.virtdevice.platform.security.CurrentUser;
import io.virtdevice.platform.tenancy.TenantContext;
import io.virtdevice.platform.web.ApiProblem;
import io.virtdevice.platform.tenancy.TenantScope;
import java.util.Set;
import java.util.UUID;
import org.springframework.stereotype.Component;

/** The rate limits' view of a user's plan: {@code Account.Plan.tier()}, read through {@link AccountManagement}. */
@Component
class AccountPlans implements PlanSource {

    private final AccountManagement accounts;

    AccountPlans(AccountManagement accounts) {
        this.accounts = accounts;
    }

    /** The tier, or null for a user that is gone (the DeleteReports of a deleted account still go out). */
    @Override
    public String tier(UUID tenantId, UUID userId) {
        CurrentUser user = new CurrentUser(userId, tenantId, null, CurrentUser.AuthMethod.SESSION, Set.of(), null);
        try {
            return TenantScope.call(new TenantContext(tenantId, userId), () -> accounts.account(user).plan().tier());
        } catch (ApiProblem gone) {
            return null;
        }
    }
}
