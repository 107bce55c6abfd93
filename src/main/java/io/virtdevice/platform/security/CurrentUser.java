package io.virtdevice.platform.security;

import io.virtdevice.platform.tenancy.TenantContext;
import java.io.Serial;
import java.io.Serializable;
import java.util.Set;
import java.util.UUID;
import org.springframework.security.core.AuthenticatedPrincipal;

/**
 * The authenticated principal of a request: who (user, tenant), how they proved it, what the credential
 * allows, and on which surface it is valid. Roles are not cached here: they can change, so role checks read
 * the database.
 *
 * @param method how the request authenticated
 * @param scopes {@code read} and/or {@code write}
 * @param credentialId the API key or OAuth token used, if any (for last-used bookkeeping and revocation)
 * @param surface where this credential works: the REST API, or only the Alexa or IFTTT endpoints (a session
 *     stored before this component existed reads as null, which means {@link Surface#API})
 * @param clientId the OAuth client the token was issued to ({@code alexa-smart-home}, ...), else null
 * @param grantId the OAuth grant (token family) the token belongs to, else null; revoking the grant ends it
 */
public record CurrentUser(UUID userId, UUID tenantId, String email, AuthMethod method, Set<String> scopes,
        UUID credentialId, Surface surface, String clientId, UUID grantId)
        implements AuthenticatedPrincipal, Serializable {

    @Serial
    private static final long serialVersionUID = 1L;

    public enum AuthMethod {
        SESSION,
        API_KEY,
        OAUTH
    }

    /**
     * The surfaces a credential can be bound to. Sessions, API keys and the web and mobile apps' tokens
     * belong to the REST API ({@code /api/**}); Alexa's tokens only to {@code /alexa/**}, IFTTT's only to
     * {@code /ifttt/**}.
     */
    public enum Surface {
        API,
        ALEXA,
        IFTTT
    }

    public CurrentUser {
        surface = surface == null ? Surface.API : surface;
    }

    /** A session or API-key principal: valid on the REST API. */
    public CurrentUser(UUID userId, UUID tenantId, String email, AuthMethod method, Set<String> scopes,
            UUID credentialId) {
        this(userId, tenantId, email, method, scopes, credentialId, Surface.API, null, null);
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
