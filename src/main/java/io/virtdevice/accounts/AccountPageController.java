package io.virtdevice.accounts;

import io.virtdevice.platform.security.CurrentUser;
import io.virtdevice.platform.web.ApiProblem;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.validation.Valid;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.validation.BindingResult;
import org.springframework.validation.FieldError;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;

/**
 * Minimal browser pages for signing in and for the links we mail (sign-up, email verification, password
 * reset, invitation). Links only show a form: the token is used on POST, so mail scanners that fetch
 * links cannot consume it. The sign-in form itself is processed by Spring Security's form login.
 */
@Controller
class AccountPageController {

    private final AccountManagement accounts;
    private final TeamManagement team;
    private final Sessions sessions;

    AccountPageController(AccountManagement accounts, TeamManagement team, Sessions sessions) {
        this.accounts = accounts;
        this.team = team;
        this.sessions = sessions;
    }

    @GetMapping("/")
    String index(@AuthenticationPrincipal CurrentUser user, Model model) {
        if (user != null) {
            try {
                model.addAttribute("account", accounts.account(user));
                // signed in: home is the devices grid (the dashboard's page, same URL)
                return "forward:/devices";
            } catch (ApiProblem e) {
                // the account was deleted under a still-open session: show the signed-out page
            }
        }
        return "index";
    }

    @GetMapping("/login")
    String login(@RequestParam(required = false) String error, @RequestParam(required = false) String logout,
            Model model) {
        if (error != null) {
            // the reason comes in the query (platform.security's failure handler): no session before sign-in
            model.addAttribute("error", switch (error) {
                case "locked" -> "Too many failed sign-ins. Try again later.";
                case "busy" -> "The server is busy. Try again in a few seconds.";
                default -> "Invalid email or password.";
            });
        }
        model.addAttribute("signedOut", logout != null);
        return "login";
    }

    @GetMapping("/signup")
    String signUpForm() {
        return "signup";
    }

    @PostMapping("/signup")
    String signUp(@Valid AuthController.SignUpRequest signUp, BindingResult errors, Model model) {
        if (errors.hasErrors()) {
            return withError(model, "signup", firstError(errors));
        }
        try {
            accounts.signUp(new AccountManagement.SignUp(signUp.tenantName(), signUp.tenantSlug(), signUp.email(),
                    signUp.password(), signUp.name()));
        } catch (ApiProblem e) {
            return withError(model, "signup", e.getBody().getDetail());
        }
        return message(model, "Check your inbox", AuthController.CHECK_YOUR_MAIL.message());
    }

    @GetMapping("/verify-email")
    String verifyEmailForm(@RequestParam(required = false) String token, Model model) {
        model.addAttribute("token", token);
        return "verify-email";
    }

    @PostMapping("/verify-email")
    String verifyEmail(@Valid AuthController.TokenRequest verification, BindingResult errors, Model model) {
        try {
            if (errors.hasErrors()) {
                throw new InvalidToken();
            }
            accounts.verifyEmail(verification.token());
        } catch (ApiProblem e) {
            return message(model, "This link does not work", e.getBody().getDetail());
        }
        return message(model, "Email address confirmed", "Thank you, your email address is confirmed.");
    }

    @GetMapping("/reset-password")
    String resetPasswordForm(@RequestParam(required = false) String token, Model model) {
        model.addAttribute("token", token);
        return token == null ? "reset-request" : "reset-password";
    }

    @PostMapping(path = "/reset-password", params = "email")
    String requestPasswordReset(@Valid AuthController.ResetRequest reset, BindingResult errors, Model model) {
        if (errors.hasErrors()) {
            return withError(model, "reset-request", firstError(errors));
        }
        accounts.requestPasswordReset(reset.email());
        return message(model, "Check your inbox", AuthController.CHECK_YOUR_MAIL.message());
    }

    @PostMapping(path = "/reset-password", params = "token")
    String resetPassword(@Valid AuthController.ResetConfirmation reset, BindingResult errors, Model model) {
        model.addAttribute("token", reset.token());
        if (errors.hasErrors()) {
            return withError(model, "reset-password", firstError(errors));
        }
        try {
            sessions.endAll(accounts.resetPassword(reset.token(), reset.password()));
        } catch (ApiProblem e) {
            return message(model, "This link does not work", e.getBody().getDetail());
        }
        return message(model, "Password changed", "Your password is changed and every session was signed out.");
    }

    @GetMapping("/invitation")
    String invitationForm(@RequestParam(required = false) String token, Model model) {
        model.addAttribute("token", token);
        return "invitation";
    }

    @PostMapping("/invitation")
    String acceptInvitation(@Valid AuthController.InvitationAcceptance acceptance, BindingResult errors, Model model,
            HttpServletRequest request, HttpServletResponse response) {
        model.addAttribute("token", acceptance.token());
        if (errors.hasErrors()) {
            return withError(model, "invitation", firstError(errors));
        }
        try {
            SignedIn signedIn = team.acceptInvitation(acceptance.token(), acceptance.name(), acceptance.password());
            sessions.signIn(signedIn.principal(), request, response);
        } catch (ApiProblem e) {
            return message(model, "This invitation does not work", e.getBody().getDetail());
        }
        return "redirect:/";
    }

    private static String withError(Model model, String view, String error) {
        model.addAttribute("error", error);
        return view;
    }

    private static String message(Model model, String title, String text) {
        model.addAttribute("title", title);
        model.addAttribute("text", text);
        return "message";
    }

    private static String firstError(BindingResult errors) {
        FieldError error = errors.getFieldError();
        return error == null ? "The form is invalid." : error.getField() + ": " + error.getDefaultMessage();
    }
}
