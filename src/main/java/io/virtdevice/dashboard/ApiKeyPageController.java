package io.virtdevice.dashboard;

import io.virtdevice.apikeys.ApiKeyManagement;
import io.virtdevice.platform.web.HtmlPage;
import java.util.List;
import java.util.UUID;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.ModelAttribute;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/** Personal API keys through {@link ApiKeyManagement}: create (the key shown once), scopes, last use, revoke. */
@Controller
@HtmlPage
class ApiKeyPageController {

    private final ApiKeyManagement keys;

    ApiKeyPageController(ApiKeyManagement keys) {
        this.keys = keys;
    }

    @ModelAttribute("section")
    String section() {
        return "api-keys";
    }

    @GetMapping("/api-keys")
    String list(Model model) {
        model.addAttribute("keys", keys.list());
        model.addAttribute("scopes", ApiKeyManagement.SCOPES);
        return "api-keys";
    }

    @PostMapping("/api-keys")
    String create(@RequestParam String name, @RequestParam(required = false) List<String> scopes,
            @RequestParam(required = false) Integer expiresInDays, Model model) {
        model.addAttribute("issued", keys.create(name, scopes == null ? List.of() : scopes, expiresInDays, "web"));
        return list(model);
    }

    @PostMapping("/api-keys/{id}/revoke")
    String revoke(@PathVariable UUID id, RedirectAttributes redirect) {
        keys.revoke(id, "web");
        redirect.addFlashAttribute("notice", "The key was revoked: requests with it are refused from now on.");
        return "redirect:/api-keys";
    }
}
