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
 * @param realtime what the user's realtime notices carried and how often they waited (issue 16 item 3)
 */
public record IftttConnection(boolean connected, Instant connectedAt, Instant lastUsedAt, int activeIdentities,
        Instant lastPolledAt, Instant lastNotifiedAt, List<TriggerIdentity> identities, Realtime realtime) {

    public IftttConnection {
        identities = List.copyOf(identities);
    }

    /**
     * The realtime diagnostics: a notice only tells IFTTT which trigger identity to poll, so changes of one
     * identity while its notice waits fold into it; a user whose notices outpace their fair share of the
     * service's realtime budget waits (never dropped) while other users' notices go out.
     *
     * @param pending notices waiting now (the debounce, the user's share, or a retry after an IFTTT failure)
     * @param coalesced changes folded into another change's notice, over all identities
     * @param delayed times a notice was held for the user's fair share, over all identities
     */
    public record Realtime(int pending, long coalesced, long delayed) {}

    /**
     * One trigger identity: an applet's trigger with its field values, in words.
     *
     * @param identity IFTTT's {@code trigger_identity}
     * @param trigger the trigger's slug ({@code device_turned_on})
     * @param title the trigger's name ("Device turned on")
     * @param deviceName the name of the device its {@code device} field chose, or null when that device is gone
     * @param firesWhen when it fires, in words, with the device's name ("Lamp turns on")
     * @param active false once its device was deleted (it never matches again)
     * @param realtimeCoalesced changes folded into its realtime notices
     * @param realtimeDelayed times its realtime notices were held for the user's fair share
     * @param nextNoticeAt when its waiting realtime notice goes out, or null when none waits
     */
    public record TriggerIdentity(String identity, String trigger, String title, String deviceName, String firesWhen,
            boolean active, Instant lastPolledAt, Instant lastNotifiedAt, Instant createdAt, long realtimeCoalesced,
            long realtimeDelayed, Instant nextNoticeAt) {}
}
