package io.virtdevice.billing;

import java.time.Instant;
import java.util.List;

/**
 * The tenant's plan as the billing page shows it.
 *
 * @param billing plans apply (false on a self-hosted instance: the instance limit applies)
 * @param stripe Stripe is configured (Checkout and the portal work)
 * @param owner the viewer is the tenant owner whose subscription this is (only they get the buttons)
 * @param tier the plan in effect now ({@code free}, {@code pro}, {@code business})
 * @param paidTier the plan Stripe last reported (differs from {@code tier} once a past_due grace period
 *     ended or the subscription lapsed)
 * @param maxDevices the device limit per user now
 * @param status Stripe's subscription status as last received
 * @param offers the paid plans the owner can buy through Checkout (empty while a paid plan runs: changes
 *     then go through the portal)
 */
public record BillingOverview(boolean billing, boolean stripe, boolean owner, String tier, String paidTier,
        int maxDevices, String status, Instant currentPeriodEnd, boolean cancelAtPeriodEnd, Instant canceledAt,
        Instant trialEnd, Instant graceEnds, boolean manageable, List<Offer> offers) {

    /** A paid plan on offer. */
    public record Offer(String tier, String label, int maxDevices) {}

    public boolean trialing() {
        return "trialing".equals(status) && trialEnd != null;
    }

    /** Paid limits kept during the past_due grace period. */
    public boolean inGrace() {
        return "past_due".equals(status) && graceEnds != null && graceEnds.isAfter(Instant.now());
    }

    /** A paid plan that lapsed (grace over, canceled, unpaid, paused, ...): the free limits apply. */
    public boolean lapsed() {
        return !"free".equals(paidTier) && "free".equals(tier);
    }
}
