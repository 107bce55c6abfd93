package io.virtdevice.events;

import java.util.UUID;

/**
 * "Event {@code eventId} of this user committed": what instances tell each other (ids only, D-15). The
 * event is then read under the <em>stream owner's</em> tenant context, never one taken from the notice,
 * so a forged or stale notice can show nobody anything.
 *
 * @param tenantId informational; may be null
 */
record EventNotice(UUID eventId, UUID tenantId, UUID userId) {}
