package io.virtdevice.platform.security;

import java.util.Objects;
import java.util.UUID;

/**
 * A credential, or every credential of a user, stopped being valid. Published as an application event
 * inside the transaction that revoked it; once that commits, {@link Revocations} applies it on this instance
 * (caches evicted, live streams closed) and relays it to every other instance, which does the same.
 *
 * @param kind what was revoked
 * @param id the user (USER, SESSIONS), the API key (API_KEY) or the OAuth grant, i.e. token family (OAUTH_GRANT)
 */
public record CredentialRevoked(Kind kind, UUID id) {

    public enum Kind {
        /** The user is gone (removed from the team, account deleted): every credential of theirs. */
        USER,
        /** The user's browser sessions were ended (password changed or reset): what they authenticated. */
        SESSIONS,
        API_KEY,
        OAUTH_GRANT
    }

    public CredentialRevoked {
        Objects.requireNonNull(kind);
        Objects.requireNonNull(id);
    }

    public static CredentialRevoked user(UUID userId) {
        return new CredentialRevoked(Kind.USER, userId);
    }

    public static CredentialRevoked sessions(UUID userId) {
        return new CredentialRevoked(Kind.SESSIONS, userId);
    }

    public static CredentialRevoked apiKey(UUID keyId) {
        return new CredentialRevoked(Kind.API_KEY, keyId);
    }

    public static CredentialRevoked oauthGrant(UUID grantId) {
        return new CredentialRevoked(Kind.OAUTH_GRANT, grantId);
    }

    /** Whether a principal authenticated with the revoked credential (or belongs to the removed user). */
    public boolean covers(CurrentUser principal) {
        return switch (kind) {
            case USER -> id.equals(principal.userId());
            case SESSIONS -> principal.method() == CurrentUser.AuthMethod.SESSION && id.equals(principal.userId());
            case API_KEY -> principal.method() == CurrentUser.AuthMethod.API_KEY && id.equals(principal.credentialId());
            case OAUTH_GRANT -> principal.method() == CurrentUser.AuthMethod.OAUTH && id.equals(principal.grantId());
        };
    }
}
