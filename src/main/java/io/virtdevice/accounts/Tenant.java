package io.virtdevice.accounts;

import java.util.UUID;

/** A tenant (household or team) as its members see it. */
public record Tenant(UUID id, String name, String slug) {}
