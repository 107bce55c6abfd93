package io.virtdevice.ifttt;

import io.virtdevice.oauth.ConnectedApp;
import io.virtdevice.oauth.OAuthManagement;
import io.virtdevice.platform.security.CurrentUser;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The dashboard's view of IFTTT ({@code GET /api/v1/ifttt}): whether the user connected IFTTT, and the
 * trigger identities of their active applets: how many, when IFTTT last polled one and when VirtDevice
 * last told IFTTT to poll (a realtime notice), with the most recent identities.
 */
@RestController
class IftttConnectionController {

    static final int LISTED = 100;

    private final OAuthManagement oauth;
    private final IftttTriggers triggers;
    private final String clientId;

    IftttConnectionController(OAuthManagement oauth, IftttTriggers triggers,
            @Value("${virtdevice.oauth.clients.ifttt.client-id:ifttt-service}") String clientId) {
        this.oauth = oauth;
        this.triggers = triggers;
        this.clientId = clientId;
    }

    @GetMapping("/api/v1/ifttt")
    Map<String, Object> overview(@AuthenticationPrincipal CurrentUser user) {
        Optional<ConnectedApp> app = oauth.connectedApps(user).stream()
                .filter(a -> a.clientId().equals(clientId)).findFirst();
        IftttTriggers.Overview overview = triggers.overview(user, LISTED);
        Map<String, Object> identities = new LinkedHashMap<>();
        identities.put("count", overview.summary().count());
        identities.put("lastPolledAt", overview.summary().lastPolledAt());
        identities.put("lastNotifiedAt", overview.summary().lastNotifiedAt());
        identities.put("items", overview.items().stream().map(s -> {
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("triggerIdentity", s.identity());
            item.put("trigger", s.trigger());
            item.put("enabled", s.enabled());
            item.put("lastPolledAt", s.lastPolledAt());
            item.put("lastNotifiedAt", s.lastNotifiedAt());
            item.put("createdAt", s.createdAt());
            return item;
        }).toList());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("connected", app.isPresent());
        body.put("connectedAt", app.map(ConnectedApp::linkedAt).orElse(null));
        body.put("triggerIdentities", identities);
        return body;
    }
}
