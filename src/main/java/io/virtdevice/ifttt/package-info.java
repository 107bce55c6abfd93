/**
 * IFTTT's Service API ({@code /ifttt/v1/...}, shared/spec/ifttt.md): status and test setup behind IFTTT's
 * service key; user info, triggers (read from the change events, no copy of their own), trigger identities,
 * field options and validation, actions (through the devices module) and the device query behind IFTTT's
 * access tokens; realtime notifications to IFTTT as a change-event consumer ("ifttt"), staged and then sent
 * in batches, debounced, with retries; and the dashboard's view of the connection ({@code /api/v1/ifttt}).
 * Errors keep IFTTT's shape, {@code {"errors":[{"message":...}]}}.
 */
@ApplicationModule(allowedDependencies = {"accounts", "activity", "devices", "events", "oauth", "limits", "platform"})
package io.virtdevice.ifttt;

import org.springframework.modulith.ApplicationModule;
