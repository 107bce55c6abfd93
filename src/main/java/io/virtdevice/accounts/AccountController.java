package io.virtdevice.accounts;

import io.virtdevice.platform.security.CurrentUser;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import org.springframework.http.HttpStatus;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/** The signed-in user's own account (browser session only). */
@RestController
@RequestMapping("/api/v1/account")
class AccountController {

    /** A blank name clears it. */
    record Rename(@NotNull @Size(max = 100) @Pattern(regexp = InputRules.NO_CONTROL_CHARACTERS) String name) {}

    record PasswordChange(@NotNull @Size(max = 128) String currentPassword,
            @NotNull @Size(min = 12, max = 128) String newPassword) {}

    record Deletion(@NotNull @Size(max = 128) String password) {}

    private final AccountManagement accounts;
    private final Sessions sessions;

    AccountController(AccountManagement accounts, Sessions sessions) {
        this.accounts = accounts;
        this.sessions = sessions;
    }

    @GetMapping
    Account account(@AuthenticationPrincipal CurrentUser user) {
        return accounts.account(user);
    }

    @PatchMapping
    Account rename(@AuthenticationPrincipal CurrentUser user, @Valid @RequestBody Rename body) {
        return accounts.rename(user, body.name());
    }

    /** Changes the password and signs out every other session of the user. */
    @PutMapping("/password")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    void changePassword(@AuthenticationPrincipal CurrentUser user, @Valid @RequestBody PasswordChange body,
            HttpServletRequest request) {
        accounts.changePassword(user, body.currentPassword(), body.newPassword());
        sessions.endOthers(user.userId(), request);
    }

    @DeleteMapping
    @ResponseStatus(HttpStatus.NO_CONTENT)
    void delete(@AuthenticationPrincipal CurrentUser user, @Valid @RequestBody Deletion body,
            HttpServletRequest request, HttpServletResponse response) {
        accounts.deleteAccount(user, body.password());
        sessions.signOut(request, response);
        sessions.endAll(user.userId());
    }

    /** Mails a new verification link. */
    @PostMapping("/verification")
    @ResponseStatus(HttpStatus.ACCEPTED)
    void resendVerification(@AuthenticationPrincipal CurrentUser user) {
        accounts.resendVerification(user);
    }
}
