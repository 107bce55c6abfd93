package io.virtdevice.accounts;

import io.virtdevice.platform.security.CurrentUser;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/** The signed-in user's team: name, members, roles and invitations (browser session only). */
@RestController
@RequestMapping("/api/v1/team")
class TeamController {

    record Rename(@NotBlank @Size(max = 100) @Pattern(regexp = InputRules.NO_CONTROL_CHARACTERS) String name) {}

    record RoleChange(@NotNull @Pattern(regexp = InputRules.ROLE) String role) {}

    record InvitationRequest(
            @NotBlank @Size(max = 254) @Pattern(regexp = InputRules.EMAIL) String email,
            @NotNull @Pattern(regexp = InputRules.INVITABLE_ROLE) String role) {}

    private final TeamManagement team;
    private final Sessions sessions;
    private final MailLimits mailLimits;

    TeamController(TeamManagement team, Sessions sessions, MailLimits mailLimits) {
        this.team = team;
        this.mailLimits = mailLimits;
        this.sessions = sessions;
    }

    @GetMapping
    Tenant tenant() {
        return team.tenant();
    }

    @PatchMapping
    Tenant rename(@AuthenticationPrincipal CurrentUser user, @Valid @RequestBody Rename body) {
        return team.renameTenant(user, body.name());
    }

    @GetMapping("/members")
    Map<String, List<Member>> members() {
        return Map.of("members", team.members());
    }

    @PatchMapping("/members/{id}")
    Member changeRole(@AuthenticationPrincipal CurrentUser user, @PathVariable UUID id,
            @Valid @RequestBody RoleChange body) {
        return team.changeRole(user, id, body.role());
    }

    /** Removes the member with everything they own, and signs them out everywhere. */
    @DeleteMapping("/members/{id}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    void remove(@AuthenticationPrincipal CurrentUser user, @PathVariable UUID id) {
        team.removeMember(user, id);
        sessions.endAll(id);
    }

    @PostMapping("/invitations")
    @ResponseStatus(HttpStatus.CREATED)
    Invitation invite(@AuthenticationPrincipal CurrentUser user, @Valid @RequestBody InvitationRequest body) {
        mailLimits.invitation(user, body.email());
        return team.invite(user, body.email(), body.role());
    }

    @GetMapping("/invitations")
    Map<String, List<Invitation>> invitations() {
        return Map.of("invitations", team.invitations());
    }

    @DeleteMapping("/invitations/{id}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    void revoke(@AuthenticationPrincipal CurrentUser user, @PathVariable UUID id) {
        team.revokeInvitation(user, id);
    }
}
