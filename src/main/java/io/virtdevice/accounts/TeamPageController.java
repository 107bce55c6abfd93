package io.virtdevice.accounts;

import io.virtdevice.platform.security.CurrentUser;
import io.virtdevice.platform.web.ApiProblem;
import io.virtdevice.platform.web.HtmlPage;
import java.util.UUID;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.ModelAttribute;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/**
 * Team settings for owners and admins: the team's name, members and their roles, invitations (invite,
 * resend, revoke). Members get 403 here, as from {@code /api/v1/team}: the page refuses them before
 * reading anything, and every change goes through {@link TeamManagement}, whose database functions refuse
 * a member whatever page or request asks.
 */
@Controller
@HtmlPage
class TeamPageController {

    private final AccountManagement accounts;
    private final TeamManagement team;
    private final Sessions sessions;

    TeamPageController(AccountManagement accounts, TeamManagement team, Sessions sessions) {
        this.accounts = accounts;
        this.team = team;
        this.sessions = sessions;
    }

    @ModelAttribute("section")
    String section() {
        return "team";
    }

    @GetMapping("/team")
    String team(@AuthenticationPrincipal CurrentUser user, Model model) {
        Account account = accounts.account(user);
        if ("member".equals(account.role())) {
            throw ApiProblem.forbidden("Only owners and admins can manage the team.");
        }
        model.addAttribute("account", account);
        model.addAttribute("tenant", team.tenant());
        model.addAttribute("members", team.members());
        model.addAttribute("invitations", team.invitations());
        return "team";
    }

    @PostMapping("/team/name")
    String rename(@AuthenticationPrincipal CurrentUser user, @RequestParam String name, RedirectAttributes redirect) {
        team.renameTenant(user, name);
        redirect.addFlashAttribute("notice", "Saved.");
        return "redirect:/team";
    }

    @PostMapping("/team/invitations")
    String invite(@AuthenticationPrincipal CurrentUser user, @RequestParam String email, @RequestParam String role,
            RedirectAttributes redirect) {
        if (email.length() > 254 || !email.strip().matches(InputRules.EMAIL)) {
            throw ApiProblem.invalidField("email", "must be an email address.");
        }
        if (!role.matches(InputRules.INVITABLE_ROLE)) {
            throw ApiProblem.invalidField("role", "must be admin or member.");
        }
        Invitation invitation = team.invite(user, email.strip(), role);
        redirect.addFlashAttribute("notice", "Invitation mailed to " + invitation.email() + ".");
        return "redirect:/team";
    }

    /** A new invitation mail with a fresh link; the old link stops working. */
    @PostMapping("/team/invitations/{id}/resend")
    String resend(@AuthenticationPrincipal CurrentUser user, @PathVariable UUID id, RedirectAttributes redirect) {
        Invitation old = team.invitations().stream().filter(i -> i.id().equals(id)).findFirst()
                .orElseThrow(() -> ApiProblem.notFound("Invitation"));
        team.revokeInvitation(user, id);
        team.invite(user, old.email(), old.role());
        redirect.addFlashAttribute("notice", "Invitation mailed again to " + old.email() + ".");
        return "redirect:/team";
    }

    @PostMapping("/team/invitations/{id}/revoke")
    String revoke(@AuthenticationPrincipal CurrentUser user, @PathVariable UUID id, RedirectAttributes redirect) {
        team.revokeInvitation(user, id);
        redirect.addFlashAttribute("notice", "Invitation revoked.");
        return "redirect:/team";
    }

    @PostMapping("/team/members/{id}/role")
    String changeRole(@AuthenticationPrincipal CurrentUser user, @PathVariable UUID id, @RequestParam String role,
            RedirectAttributes redirect) {
        if (!role.matches(InputRules.ROLE)) {
            throw ApiProblem.invalidField("role", "must be owner, admin or member.");
        }
        Member member = team.changeRole(user, id, role);
        redirect.addFlashAttribute("notice", member.email() + " is now " + member.role() + ".");
        return "redirect:/team";
    }

    /** Removes the member with everything they own, and signs them out everywhere. */
    @PostMapping("/team/members/{id}/remove")
    String remove(@AuthenticationPrincipal CurrentUser user, @PathVariable UUID id, RedirectAttributes redirect) {
        team.removeMember(user, id);
        sessions.endAll(id);
        redirect.addFlashAttribute("notice", "Member removed.");
        return "redirect:/team";
    }
}
