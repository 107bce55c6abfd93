package io.virtdevice.accounts;

import java.util.UUID;

/** The signed-in user as the account screens show it: identity, role, tenant and plan. */
public record Account(UUID id, String email, String name, String role, boolean emailVerified, Tenant tenant, Plan plan) {

    /** The user's subscription limits. */
    public record Plan(String tier, int maxDevices, String status) {}
}
