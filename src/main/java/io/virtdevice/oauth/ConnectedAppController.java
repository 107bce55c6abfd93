package io.virtdevice.oauth;

import io.virtdevice.platform.security.CurrentUser;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/** The signed-in user's connected apps (browser session only, like the rest of {@code /api/v1/account}). */
@RestController
@RequestMapping("/api/v1/account/connected-apps")
class ConnectedAppController {

    private final OAuthManagement oauth;

    ConnectedAppController(OAuthManagement oauth) {
        this.oauth = oauth;
    }

    @GetMapping
    Map<String, List<ConnectedApp>> list(@AuthenticationPrincipal CurrentUser user) {
        return Map.of("items", oauth.connectedApps(user));
    }

    @DeleteMapping("/{clientId}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    void disconnect(@AuthenticationPrincipal CurrentUser user, @PathVariable String clientId) {
        oauth.disconnect(user, clientId);
    }
}
