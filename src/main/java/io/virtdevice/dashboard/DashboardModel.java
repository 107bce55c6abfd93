package io.virtdevice.dashboard;

import io.virtdevice.accounts.Account;
import io.virtdevice.accounts.AccountManagement;
import io.virtdevice.platform.security.CurrentUser;
import io.virtdevice.platform.web.ApiProblem;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.ControllerAdvice;
import org.springframework.web.bind.annotation.ModelAttribute;

/** The signed-in account for every full dashboard page (the top bar: e-mail, navigation by role). */
@ControllerAdvice(basePackageClasses = DashboardModel.class)
class DashboardModel {

    private final AccountManagement accounts;

    DashboardModel(AccountManagement accounts) {
        this.accounts = accounts;
    }

    @ModelAttribute("account")
    Account account(@AuthenticationPrincipal CurrentUser user, HttpServletRequest request) {
        // fragments swapped in by htmx and the live stream show no top bar
        if (user == null || "true".equals(request.getHeader("HX-Request"))
                || "text/event-stream".equals(request.getHeader("Accept"))) {
            return null;
        }
        try {
            return accounts.account(user);
        } catch (ApiProblem e) {
            return null; // the account was deleted under a still-open session
        }
    }
}
