package io.virtdevice.dashboard;

import io.virtdevice.alexa.AlexaLinks;
import io.virtdevice.devices.DeviceManagement;
import io.virtdevice.oauth.ConnectedApp;
import io.virtdevice.oauth.OAuthManagement;
import io.virtdevice.platform.security.CurrentUser;
import io.virtdevice.platform.web.HtmlPage;
import java.util.List;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.ModelAttribute;

/**
 * Alexa at a glance: whether the account is linked (the skill's OAuth grant) and whether VirtDevice can
 * reach Amazon's Event Gateway for this user (the Login-with-Amazon link from AcceptGrant: region, status and
 * why, token expiry, last refresh), and the endpoint id each device has in Alexa.
 */
@Controller
@HtmlPage
class AlexaPageController {

    private final AlexaLinks links;
    private final OAuthManagement oauth;
    private final DeviceManagement devices;

    AlexaPageController(AlexaLinks links, OAuthManagement oauth, DeviceManagement devices) {
        this.links = links;
        this.oauth = oauth;
        this.devices = devices;
    }

    @ModelAttribute("section")
    String section() {
        return "alexa";
    }

    @GetMapping("/integrations/alexa")
    String alexa(@AuthenticationPrincipal CurrentUser user, Model model) {
        List<ConnectedApp> alexaApps = oauth.connectedApps(user).stream()
                .filter(app -> "alexa".equalsIgnoreCase(app.type()))
                .toList();
        model.addAttribute("skill", alexaApps.isEmpty() ? null : alexaApps.getFirst());
        model.addAttribute("link", links.state(user.context()).orElse(null));
        model.addAttribute("devices", devices.list(null, DevicePageController.PAGE_SIZE, null).items());
        return "alexa";
    }
}
