package io.virtdevice.platform.security;

import io.virtdevice.platform.tenancy.TenantContext;
import java.io.Serial;
import java.io.Serializable;
import java.util.Set;
import java.util.UUID;
import org.springframework.security.core.AuthenticatedPrincipal;

/**
 * The authenticated principal of a request: who (user, tenant), how they proved it, and what the
 * credential allows. Roles are not cached here: they can change, so role checks read the database.
 *
 * @param method how the request authenticated
 * @param scopes {@code read} and/or {@code write}
 * @param credentialId the API key or OAuth token used, if any (for last-used bookkeeping and revocation)
 */
public record CurrentUser(UUID userId, UUID tenantId, String email, AuthMethod method, Set<String> scopes,
        UUID credentialId) implements AuthenticatedPrincipal, Serializable {

    @Serial
    private static final long serialVersionUID = 1L;

    public enum AuthMethod {
        SESSION,
        API_KEY,
        OAUTH
    }

    /** The user id: Spring Session indexes sessions by it, so all of a user's sessions can be ended. */
    @Override
    public String getName() {
        return userId.toString();
    }

    public TenantContext context() {
        return new TenantContext(tenantId, userId);
    }

    /** The activity-log source this credential implies: the browser session is 'web', everything else 'api'. */
    public String source() {
        return method == AuthMethod.SESSION ? "web" : "api";
    }
}
