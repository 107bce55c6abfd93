/**
 * Billing with Stripe (issue 13): plans and their device limits, Checkout and the customer portal for the
 * tenant's owner, and the signed webhook that is the only way a subscription changes. The database decides
 * the entitlement ({@code app.tenant_plan()}) and enforces it on every device insert; this module only
 * talks to Stripe and hands verified events to {@code app.apply_stripe_event()}. Without Stripe keys (a
 * self-hosted instance) it stays off and the instance limit from configuration applies.
 */
@ApplicationModule(allowedDependencies = {"accounts", "platform"})
package io.virtdevice.billing;

import org.springframework.modulith.ApplicationModule;
