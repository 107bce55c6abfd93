package io.virtdevice.dashboard;

import io.virtdevice.alexa.AlexaDiagnostics;
import io.virtdevice.alexa.AlexaLinks;
import io.virtdevice.devices.Device;
import io.virtdevice.devices.DeviceManagement;
import io.virtdevice.oauth.ConnectedApp;
import io.virtdevice.oauth.OAuthManagement;
import io.virtdevice.platform.security.CurrentUser;
import io.virtdevice.platform.web.ApiProblem;
import io.virtdevice.platform.web.HtmlPage;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.ModelAttribute;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;

/**
 * Alexa at a glance: whether the account is linked (the skill's OAuth grant) and whether VirtDevice can
 * reach Amazon's Event Gateway for this user (the Login-with-Amazon link from AcceptGrant: region, status and
 * why, token expiry, last refresh), the health sentence that says why routines may not fire, and per device
 * its endpoint id, the last events sent with Amazon's answers and a "Test fire" ({@link AlexaDiagnostics}, the
 * same calls as {@code /api/v1/alexa/**}).
 */
@Controller
@HtmlPage
class AlexaPageController {

    private final AlexaLinks links;
    private final OAuthManagement oauth;
    private final DeviceManagement devices;
    private final AlexaDiagnostics diagnostics;

    AlexaPageController(AlexaLinks links, OAuthManagement oauth, DeviceManagement devices,
            AlexaDiagnostics diagnostics) {
        this.links = links;
        this.oauth = oauth;
        this.devices = devices;
        this.diagnostics = diagnostics;
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
        List<Device> list = devices.list(null, DevicePageController.PAGE_SIZE, null).items();
        // the page's devices come from the devices module (RLS): their histories in one statement
        Map<UUID, Map<String, Object>> events = diagnostics.events(user.context(), list);
        model.addAttribute("devices", list);
        model.addAttribute("events", events);
        model.addAttribute("health", diagnostics.health(user.context()));
        return "alexa";
    }

    /**
     * Sends a real event for the device now and answers with its events block: Amazon's status and latency on
     * top, the test event in the list. Not linked: the same block with the reason, in place.
     */
    @PostMapping("/devices/{id}/alexa/test-fire")
    String testFire(@AuthenticationPrincipal CurrentUser user, @PathVariable UUID id, Model model) {
        try {
            model.addAttribute("fire", diagnostics.testFire(user.context(), id));
        } catch (ApiProblem e) {
            if (e.getBody().getProperties() == null
                    || !"alexa_not_linked".equals(e.getBody().getProperties().get("code"))) {
                throw e;
            }
            model.addAttribute("fireRefused", e.getBody().getDetail());
        }
        model.addAttribute("deviceId", id);
        model.addAttribute("events", diagnostics.events(user.context(), id));
        return "alexa/diagnostics :: events";
    }
}
