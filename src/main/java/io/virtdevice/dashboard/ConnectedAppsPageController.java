package io.virtdevice.dashboard;

import io.virtdevice.oauth.OAuthManagement;
import io.virtdevice.platform.security.CurrentUser;
import io.virtdevice.platform.web.HtmlPage;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.ModelAttribute;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/** Apps linked through OAuth (Alexa, IFTTT, ...) and disconnecting one, through {@link OAuthManagement}. */
@Controller
@HtmlPage
class ConnectedAppsPageController {

    private final OAuthManagement oauth;

    ConnectedAppsPageController(OAuthManagement oauth) {
        this.oauth = oauth;
    }

    @ModelAttribute("section")
    String section() {
        return "apps";
    }

    @GetMapping("/connected-apps")
    String list(@AuthenticationPrincipal CurrentUser user, Model model) {
        model.addAttribute("apps", oauth.connectedApps(user));
        return "connected-apps";
    }

    @PostMapping("/connected-apps/{clientId}/disconnect")
    String disconnect(@AuthenticationPrincipal CurrentUser user, @PathVariable String clientId,
            RedirectAttributes redirect) {
        oauth.disconnect(user, clientId);
        redirect.addFlashAttribute("notice", "Disconnected: the app can no longer reach your devices.");
        return "redirect:/connected-apps";
    }
}
