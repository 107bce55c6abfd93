package io.virtdevice.platform.tenancy;

import java.util.Objects;
import java.util.UUID;

/** Who a transaction acts for: the tenant and the user whose rows row-level security lets it see. */
public record TenantContext(UUID tenantId, UUID userId) {

    public TenantContext {
        Objects.requireNonNull(tenantId, "tenantId");
        Objects.requireNonNull(userId, "userId");
    }
}
