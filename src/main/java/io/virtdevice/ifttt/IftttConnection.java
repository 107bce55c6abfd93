package io.virtdevice.ifttt;

import java.time.Instant;
import java.util.List;

/**
 * Whether a user connected IFTTT and what their applets ask of VirtDevice, as the dashboard and
 * {@code GET /api/v1/ifttt} show it ({@link IftttConnections#of}).
 *
 * @param connected the {@code ifttt-service} OAuth client holds a live authorization for the user
 * @param connectedAt when the first of its live grants was made (null when not connected)
 * @param lastUsedAt when one of its access tokens last reached VirtDevice (to the minute), or null
 * @param activeIdentities how many of the user's trigger identities are active (their device still exists)
 * @param lastPolledAt the latest poll of any identity (recorded at most every 10 s per identity), or null
 * @param lastNotifiedAt the latest realtime notice IFTTT accepted for any identity, or null
 * @param identities the most recent identities, newest first, active and stopped
 */
public record IftttConnection(boolean connected, Instant connectedAt, Instant lastUsedAt, int activeIdentities,
        Instant lastPolledAt, Instant lastNotifiedAt, List<TriggerIdentity> identities) {

    public IftttConnection {
        identities = List.copyOf(identities);
    }

    /**
     * One trigger identity: an applet's trigger with its field values, in words.
     *
     * @param identity IFTTT's {@code trigger_identity}
     * @param trigger the trigger's slug ({@code device_turned_on})
     * @param title the trigger's name ("Device turned on")
     * @param deviceName the name of the device its {@code device} field chose, or null when that device is gone
     * @param firesWhen when it fires, in words, with the device's name ("Lamp turns on")
     * @param active false once its device was deleted (it never matches again)
     */
    public record TriggerIdentity(String identity, String trigger, String title, String deviceName, String firesWhen,
            boolean active, Instant lastPolledAt, Instant lastNotifiedAt, Instant createdAt) {}
}
