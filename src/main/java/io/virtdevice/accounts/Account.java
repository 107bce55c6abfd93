package io.virtdevice.accounts;

import java.util.UUID;

/** The signed-in user as the account screens show it: identity, role, tenant and plan. */
public record Account(UUID id, String email, String name, String role, boolean emailVerified, Tenant tenant, Plan plan) {

    /**
     * The plan in effect for the user now: the tenant owner's subscription after Stripe's status and the
     * past_due grace period are taken into account (tier {@code free}, {@code pro} or {@code business}; a
     * lapsed paid plan reads {@code free}), or the instance limit when billing is off. {@code status} is
     * Stripe's subscription status as last received ({@code active} for a plan never paid for).
     */
    public record Plan(String tier, int maxDevices, String status) {}
}
