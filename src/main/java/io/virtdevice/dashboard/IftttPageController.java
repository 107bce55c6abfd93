package io.virtdevice.dashboard;

import io.virtdevice.ifttt.IftttConnections;
import io.virtdevice.platform.security.CurrentUser;
import io.virtdevice.platform.web.HtmlPage;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.ModelAttribute;

/**
 * IFTTT at a glance: whether the account is connected (the {@code ifttt-service} OAuth client holds a live
 * authorization), how to connect it when not, and the trigger identities of the user's applets with their
 * trigger and fields in words, last poll and last realtime notice ({@link IftttConnections}, the same data
 * as {@code GET /api/v1/ifttt}).
 */
@Controller
@HtmlPage
class IftttPageController {

    private final IftttConnections connections;

    IftttPageController(IftttConnections connections) {
        this.connections = connections;
    }

    @ModelAttribute("section")
    String section() {
        return "ifttt";
    }

    @GetMapping("/integrations/ifttt")
    String ifttt(@AuthenticationPrincipal CurrentUser user, Model model) {
        model.addAttribute("ifttt", connections.of(user));
        model.addAttribute("listed", IftttConnections.LISTED);
        return "ifttt";
    }
}
