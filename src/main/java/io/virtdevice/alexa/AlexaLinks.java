package io.virtdevice.alexa;

import io.virtdevice.platform.tenancy.TenantContext;
import java.util.Optional;

/**
 * The users' links to Alexa's Event Gateway: the Login-with-Amazon tokens obtained by AcceptGrant (spec §5),
 * sealed at rest. The proactive-event sender asks here for a token before each send and reports what the
 * gateway said about it. Every method runs in its own transaction under {@code owner}'s tenant context.
 */
public interface AlexaLinks {

    /**
     * The owner's active link, its access token refreshed first when it expires within 300 s (one refresh
     * per user at a time across instances: the others wait for it and use its result). Empty when the user
     * has no link, or it is revoked or unauthorized, or the refresh failed (the link is then marked).
     */
    Optional<LwaToken> token(TenantContext owner);

    /**
     * After the gateway refused {@code rejectedAccessToken} with 401 {@code INVALID_ACCESS_TOKEN_EXCEPTION}:
     * refreshes unless another sender already replaced that token, and returns the current token. Empty
     * when the refresh failed; the link is then marked unauthorized (or revoked on {@code invalid_grant}).
     */
    Optional<LwaToken> refreshAfterRejection(TenantContext owner, String rejectedAccessToken);

    /** The gateway refused a fresh token again (a second 401): stops sending until the user relinks. */
    void markUnauthorized(TenantContext owner, String reason);

    /**
     * 403 {@code SKILL_DISABLED_EXCEPTION} from the link's own regional gateway: deletes the tokens and marks
     * the link revoked with {@code reason} until the next AcceptGrant.
     */
    void markRevoked(TenantContext owner, String reason);

    /** What the diagnostics show: region, status and why, token expiry, last refresh; empty when never linked. */
    Optional<AlexaLinkState> state(TenantContext owner);
}
