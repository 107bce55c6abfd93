package io.virtdevice.oauth;

import java.time.Instant;
import java.util.List;

/**
 * An app the user has linked to their account (Alexa, IFTTT, ...) as the account page shows it.
 *
 * @param clientId the client's public id, which also names it for {@code DELETE}
 * @param scopes what its live tokens allow
 * @param linkedAt when the first of its live grants was made
 * @param lastUsedAt when one of its access tokens last reached the API (to the minute), or null
 */
public record ConnectedApp(String clientId, String name, String type, List<String> scopes, Instant linkedAt,
        Instant lastUsedAt) {}
