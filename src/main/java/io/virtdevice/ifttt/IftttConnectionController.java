package io.virtdevice.ifttt;

import io.virtdevice.platform.security.CurrentUser;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The dashboard's view of IFTTT ({@code GET /api/v1/ifttt}): whether the user connected IFTTT, and the
 * trigger identities of their active applets: how many, when IFTTT last polled one and when VirtDevice
 * last told IFTTT to poll (a realtime notice), with the most recent identities in words
 * ({@link IftttConnections}, the same data as the dashboard's IFTTT page).
 */
@RestController
class IftttConnectionController {

    private final IftttConnections connections;

    IftttConnectionController(IftttConnections connections) {
        this.connections = connections;
    }

    @GetMapping("/api/v1/ifttt")
    Map<String, Object> overview(@AuthenticationPrincipal CurrentUser user) {
        IftttConnection connection = connections.of(user);
        Map<String, Object> identities = new LinkedHashMap<>();
        identities.put("count", connection.activeIdentities());
        identities.put("lastPolledAt", connection.lastPolledAt());
        identities.put("lastNotifiedAt", connection.lastNotifiedAt());
        // the realtime notices: waiting now, changes folded into them, holds for the user's fair share
        identities.put("realtime", Map.of("pending", connection.realtime().pending(),
                "coalesced", connection.realtime().coalesced(), "delayed", connection.realtime().delayed()));
        identities.put("items", connection.identities().stream().map(s -> {
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("triggerIdentity", s.identity());
            item.put("trigger", s.trigger());
            item.put("title", s.title());
            item.put("deviceName", s.deviceName());
            item.put("firesWhen", s.firesWhen());
            item.put("enabled", s.active());
            item.put("lastPolledAt", s.lastPolledAt());
            item.put("lastNotifiedAt", s.lastNotifiedAt());
            item.put("createdAt", s.createdAt());
            item.put("realtimeCoalesced", s.realtimeCoalesced());
            item.put("realtimeDelayed", s.realtimeDelayed());
            item.put("nextNoticeAt", s.nextNoticeAt());
            return item;
        }).toList());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("connected", connection.connected());
        body.put("connectedAt", connection.connectedAt());
        body.put("lastUsedAt", connection.lastUsedAt());
        body.put("triggerIdentities", identities);
        return body;
    }
}
