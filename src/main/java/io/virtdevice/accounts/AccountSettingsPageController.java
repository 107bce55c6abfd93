package io.virtdevice.accounts;

import io.virtdevice.limits.RateLimiter;
import io.virtdevice.platform.security.CurrentUser;
import io.virtdevice.platform.web.ApiProblem;
import io.virtdevice.platform.web.HtmlPage;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.ModelAttribute;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/**
 * The account settings page: name, email verification, password change (signs out the other sessions) and
 * account deletion (needs the password), through {@link AccountManagement} as {@code /api/v1/account} does.
 */
@Controller
@HtmlPage
class AccountSettingsPageController {

    private final AccountManagement accounts;
    private final Sessions sessions;
    private final RateLimiter limits;

    AccountSettingsPageController(AccountManagement accounts, Sessions sessions, RateLimiter limits) {
        this.limits = limits;
        this.accounts = accounts;
        this.sessions = sessions;
    }

    @ModelAttribute("section")
    String section() {
        return "settings";
    }

    @GetMapping("/settings")
    String settings(@AuthenticationPrincipal CurrentUser user, Model model) {
        model.addAttribute("account", accounts.account(user));
        model.addAttribute("limits", limits.usage(user.context()));
        return "settings";
    }

    @PostMapping("/settings/name")
    String rename(@AuthenticationPrincipal CurrentUser user, @RequestParam String name, RedirectAttributes redirect) {
        accounts.rename(user, name);
        redirect.addFlashAttribute("notice", "Saved.");
        return "redirect:/settings";
    }

    @PostMapping("/settings/verification")
    String resendVerification(@AuthenticationPrincipal CurrentUser user, RedirectAttributes redirect) {
        accounts.resendVerification(user);
        redirect.addFlashAttribute("notice", "We have mailed you a new link.");
        return "redirect:/settings";
    }

    @PostMapping("/settings/password")
    String changePassword(@AuthenticationPrincipal CurrentUser user, @RequestParam String currentPassword,
            @RequestParam String newPassword, HttpServletRequest request, RedirectAttributes redirect) {
        if (newPassword.length() < 12 || newPassword.length() > 128 || currentPassword.length() > 128) {
            throw ApiProblem.invalidField("newPassword", "must be 12 to 128 characters long.");
        }
        accounts.changePassword(user, currentPassword, newPassword);
        sessions.endOthers(user.userId(), request);
        redirect.addFlashAttribute("notice", "Password changed. Your other sessions were signed out.");
        return "redirect:/settings";
    }

    @PostMapping("/settings/delete")
    String delete(@AuthenticationPrincipal CurrentUser user, @RequestParam String password, Model model,
            HttpServletRequest request, HttpServletResponse response) {
        if (password.length() > 128) {
            throw ApiProblem.invalidField("password", "is too long.");
        }
        accounts.deleteAccount(user, password);
        sessions.signOut(request, response);
        sessions.endAll(user.userId());
        model.addAttribute("title", "Account deleted");
        model.addAttribute("text", "Your account, its devices and its keys are gone. Thank you for trying VirtDevice.");
        model.addAttribute("account", null);
        return "message";
    }
}
