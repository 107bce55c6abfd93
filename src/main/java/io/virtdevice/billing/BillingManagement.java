package io.virtdevice.billing;

import com.stripe.exception.StripeException;
import io.virtdevice.accounts.AccountManagement;
import io.virtdevice.platform.security.CurrentUser;
import io.virtdevice.platform.web.ApiProblem;
import io.virtdevice.platform.web.ProblemTypes;
import io.virtdevice.platform.web.WebSettings;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * The billing module's API: the tenant's plan for the billing page, and Checkout and the customer portal for
 * the tenant's owner. Nothing here changes a subscription: only Stripe's signed webhook does
 * ({@link StripeWebhookController}).
 */
@Service
public class BillingManagement {

    private static final Logger log = LoggerFactory.getLogger(BillingManagement.class);

    private final BillingSettings settings;
    private final BillingRepository billing;
    private final StripeGateway stripe;
    private final AccountManagement accounts;
    private final WebSettings web;

    BillingManagement(BillingSettings settings, BillingRepository billing, StripeGateway stripe,
            AccountManagement accounts, WebSettings web) {
        this.settings = settings;
        this.billing = billing;
        this.stripe = stripe;
        this.accounts = accounts;
        this.web = web;
    }

    @Transactional(readOnly = true)
    public BillingOverview overview(CurrentUser user) {
        BillingRepository.PlanRow plan = billing.plan();
        boolean owner = isOwner(user);
        boolean stripeOn = settings.stripeEnabled() && plan.billing();
        boolean paidRunning = !"free".equals(plan.tier());
        List<BillingOverview.Offer> offers = new ArrayList<>();
        if (stripeOn && owner && !paidRunning) {
            for (String tier : List.of("pro", "business")) {
                BillingSettings.Paid paid = settings.paid(tier);
                offers.add(new BillingOverview.Offer(tier, paid.label(), paid.maxDevices()));
            }
        }
        return new BillingOverview(plan.billing(), stripeOn, owner, plan.tier(), plan.paidTier(), plan.maxDevices(),
                plan.status(), plan.currentPeriodEnd(), plan.cancelAtPeriodEnd(), plan.canceledAt(), plan.trialEnd(),
                plan.graceEnds(), stripeOn && owner && billing.ownCustomer().isPresent(), List.copyOf(offers));
    }

    /** The Checkout page for a paid plan ({@code pro} or {@code business}); only the tenant's owner may buy. */
    @Transactional(readOnly = true)
    public URI checkout(CurrentUser user, String tier) {
        requireOwnerWithStripe(user);
        BillingSettings.Paid paid = tier == null ? null : settings.paid(tier);
        if (paid == null) {
            throw ApiProblem.badRequest("Choose the pro or the business plan.");
        }
        if (!"free".equals(billing.plan().tier())) {
            throw ApiProblem.conflict("A paid plan is running: change it in the customer portal (Manage billing).");
        }
        String base = web.baseUrl();
        try {
            return stripe.checkout(paid.priceId(), user.userId(), user.tenantId(), billing.ownCustomer().orElse(null),
                    base + "/billing?checkout=success", base + "/billing?checkout=canceled");
        } catch (StripeException e) {
            throw unavailable(e);
        }
    }

    /** The customer portal (card, invoices, plan change, cancellation) for the owner who has paid before. */
    @Transactional(readOnly = true)
    public URI portal(CurrentUser user) {
        requireOwnerWithStripe(user);
        String customer = billing.ownCustomer()
                .orElseThrow(() -> ApiProblem.conflict("There is nothing to manage yet: choose a plan first."));
        try {
            return stripe.portal(customer, web.baseUrl() + "/billing");
        } catch (StripeException e) {
            throw unavailable(e);
        }
    }

    /** Plans are sold through Stripe here (a self-hosted instance: false). */
    public boolean stripeEnabled() {
        return settings.stripeEnabled();
    }

    /** Origins the billing page's forms may be redirected to (Checkout, portal). */
    public List<String> redirectOrigins() {
        return settings.stripe().redirectOrigins();
    }

    private void requireOwnerWithStripe(CurrentUser user) {
        if (!settings.stripeEnabled()) {
            throw ApiProblem.notFound("Billing");
        }
        if (!isOwner(user)) {
            throw ApiProblem.forbidden("Only the team's owner can change the plan.");
        }
    }

    private boolean isOwner(CurrentUser user) {
        return "owner".equals(accounts.account(user).role());
    }

    private static ApiProblem unavailable(StripeException e) {
        log.warn("Stripe call failed: {} (request {})", e.getMessage(), e.getRequestId());
        return new ApiProblem(HttpStatus.SERVICE_UNAVAILABLE, ProblemTypes.of("billing-unavailable"),
                "Billing unavailable", "Stripe could not be reached. Try again in a moment.");
    }
}
