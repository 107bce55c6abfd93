package io.virtdevice.oauth;

import io.virtdevice.platform.security.CurrentUser;
import jakarta.servlet.http.HttpServletResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClient;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;

/**
 * The consent page SAS redirects to: names the client and the scopes it asks for, lets the user narrow
 * them, remember the decision, or deny. The form posts back to the authorization endpoint with the page's
 * CSRF token; the browser chain's headers keep the page out of frames (clickjacking, RFC 9700 §4.16).
 */
@Controller
class ConsentPageController {

    /** What a scope lets a client do, in the user's words. */
    record ScopeChoice(String scope, String description, boolean alreadyGranted) {}

    private final OAuthClientRepository clients;
    private final RememberedConsentService consents;

    ConsentPageController(OAuthClientRepository clients, RememberedConsentService consents) {
        this.clients = clients;
        this.consents = consents;
    }

    @GetMapping(AuthorizationServerConfiguration.CONSENT_PAGE)
    String consent(@RequestParam(name = "client_id", required = false) String clientId,
            @RequestParam(required = false) String scope, @RequestParam(required = false) String state,
            @AuthenticationPrincipal CurrentUser user, Model model, HttpServletResponse response) {
        RegisteredClient client = clientId == null || clientId.length() > 100 ? null : clients.findByClientId(clientId);
        if (client == null || state == null || state.isBlank() || state.length() > 256 || scope == null
                || scope.length() > 256) {
            response.setStatus(HttpServletResponse.SC_BAD_REQUEST);
            model.addAttribute("title", "This authorization request is not valid");
            model.addAttribute("text", "Go back to the app that sent you here and start again.");
            return "message";
        }
        Set<String> granted = consents.remembered(user, UUID.fromString(client.getId()));
        List<ScopeChoice> choices = new ArrayList<>();
        for (String s : new LinkedHashSet<>(Arrays.asList(scope.trim().split(" +")))) {
            if (client.getScopes().contains(s)) {
                choices.add(new ScopeChoice(s, describe(s), granted.contains(s)));
            }
        }
        model.addAttribute("clientId", client.getClientId());
        model.addAttribute("clientName", client.getClientName());
        model.addAttribute("state", state);
        model.addAttribute("scopes", choices);
        model.addAttribute("email", user.email());
        return "oauth-consent";
    }

    private static String describe(String scope) {
        return switch (scope) {
            case "read" -> "See your devices and their current state";
            case "write" -> "Control your devices: switch them, change their settings, create and delete them";
            default -> scope;
        };
    }
}
