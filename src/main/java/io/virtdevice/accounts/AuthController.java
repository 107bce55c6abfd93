package io.virtdevice.accounts;

import io.virtdevice.platform.security.CurrentUser;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.web.csrf.CsrfToken;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/** The public account endpoints: CSRF token, sign-up, sign-in and -out, e-mailed links. */
@RestController
@RequestMapping("/api/v1/auth")
class AuthController {

    /** The one answer to sign-up and reset requests, whether or not the email has an account. */
    record Accepted(String message) {}

    static final Accepted CHECK_YOUR_MAIL = new Accepted("Check your inbox: we have sent you an email with the next step.");

    record SignUpRequest(
            @NotBlank @Size(max = 100) @Pattern(regexp = InputRules.NO_CONTROL_CHARACTERS) String tenantName,
            @Size(max = 63) @Pattern(regexp = InputRules.SLUG) String tenantSlug,
            @NotBlank @Size(max = 254) @Pattern(regexp = InputRules.EMAIL) String email,
            @NotNull @Size(min = 12, max = 128) String password,
            @Size(max = 100) @Pattern(regexp = InputRules.NO_CONTROL_CHARACTERS) String name) {}

    record LoginRequest(@NotBlank @Size(max = 254) String email, @NotNull @Size(max = 128) String password) {}

    record TokenRequest(@NotBlank @Size(max = InputRules.MAX_TOKEN_LENGTH) String token) {}

    record ResetRequest(@NotBlank @Size(max = 254) String email) {}

    record ResetConfirmation(
            @NotBlank @Size(max = InputRules.MAX_TOKEN_LENGTH) String token,
            @NotNull @Size(min = 12, max = 128) String password) {}

    record InvitationAcceptance(
            @NotBlank @Size(max = InputRules.MAX_TOKEN_LENGTH) String token,
            @Size(max = 100) @Pattern(regexp = InputRules.NO_CONTROL_CHARACTERS) String name,
            @NotNull @Size(min = 12, max = 128) String password) {}

    private final AccountManagement accounts;
    private final TeamManagement team;
    private final PasswordLogin login;
    private final Sessions sessions;

    AuthController(AccountManagement accounts, TeamManagement team, PasswordLogin login, Sessions sessions) {
        this.accounts = accounts;
        this.team = team;
        this.login = login;
        this.sessions = sessions;
    }

    /** Makes sure the XSRF-TOKEN cookie is set and returns its value (send it back as X-XSRF-TOKEN). */
    @GetMapping("/csrf")
    Map<String, String> csrf(CsrfToken token) {
        return Map.of("token", token.getToken());
    }

    @PostMapping("/signup")
    @ResponseStatus(HttpStatus.ACCEPTED)
    Accepted signUp(@Valid @RequestBody SignUpRequest body) {
        accounts.signUp(new AccountManagement.SignUp(body.tenantName(), body.tenantSlug(), body.email(), body.password(),
                body.name()));
        return CHECK_YOUR_MAIL;
    }

    @PostMapping("/login")
    Map<String, Account> login(@Valid @RequestBody LoginRequest body, HttpServletRequest request,
            HttpServletResponse response) {
        SignedIn signedIn = login.login(body.email(), body.password());
        sessions.signIn(signedIn.principal(), request, response);
        return Map.of("user", signedIn.account());
    }

    @PostMapping("/logout")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    void logout(@AuthenticationPrincipal CurrentUser user, HttpServletRequest request, HttpServletResponse response) {
        if (user != null && user.method() == CurrentUser.AuthMethod.SESSION) {
            login.recordLogout(user);
        }
        sessions.signOut(request, response);
    }

    @PostMapping("/verify-email")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    void verifyEmail(@Valid @RequestBody TokenRequest body) {
        accounts.verifyEmail(body.token());
    }

    @PostMapping("/password-reset")
    @ResponseStatus(HttpStatus.ACCEPTED)
    Accepted requestPasswordReset(@Valid @RequestBody ResetRequest body) {
        accounts.requestPasswordReset(body.email());
        return CHECK_YOUR_MAIL;
    }

    @PostMapping("/password-reset/confirm")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    void resetPassword(@Valid @RequestBody ResetConfirmation body) {
        sessions.endAll(accounts.resetPassword(body.token(), body.password()));
    }

    @PostMapping("/invitations/accept")
    @ResponseStatus(HttpStatus.CREATED)
    Map<String, Account> acceptInvitation(@Valid @RequestBody InvitationAcceptance body, HttpServletRequest request,
            HttpServletResponse response) {
        SignedIn signedIn = team.acceptInvitation(body.token(), body.name(), body.password());
        sessions.signIn(signedIn.principal(), request, response);
        return Map.of("user", signedIn.account());
    }
}
