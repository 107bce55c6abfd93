package io.virtdevice.dashboard;

import io.virtdevice.billing.BillingManagement;
import io.virtdevice.billing.BillingOverview;
import io.virtdevice.devices.DeviceManagement;
import io.virtdevice.platform.security.CurrentUser;
import io.virtdevice.platform.web.ContentSecurityPolicy;
import io.virtdevice.platform.web.HtmlPage;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.ModelAttribute;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;

/**
 * The billing page: the team's plan, the user's device usage, renewal, trial and cancellation dates, and for
 * the team's owner the upgrade (Stripe Checkout) and manage (customer portal) buttons; members see the plan
 * only. The forms are redirected to Stripe, so this page's Content-Security-Policy allows exactly Stripe's
 * Checkout and portal origins as form targets (every other page keeps {@code form-action 'self'}).
 */
@Controller
@HtmlPage
class BillingPageController {

    private final BillingManagement billing;
    private final DeviceManagement devices;

    BillingPageController(BillingManagement billing, DeviceManagement devices) {
        this.billing = billing;
        this.devices = devices;
    }

    @ModelAttribute("section")
    String section() {
        return "billing";
    }

    @GetMapping("/billing")
    String page(@AuthenticationPrincipal CurrentUser user, @RequestParam(required = false) String checkout,
            Model model, HttpServletResponse response) {
        BillingOverview plan = billing.overview(user);
        int count = devices.count();
        model.addAttribute("plan", plan);
        model.addAttribute("count", count);
        model.addAttribute("over", Math.max(0, count - plan.maxDevices()));
        if ("success".equals(checkout)) {
            model.addAttribute("notice", "Thank you! Your plan changes as soon as Stripe confirms the payment.");
        } else if ("canceled".equals(checkout)) {
            model.addAttribute("notice", "Checkout canceled: nothing was charged.");
        }
        allowStripeFormTargets(response);
        return "billing";
    }

    @PostMapping("/billing/checkout")
    String checkout(@AuthenticationPrincipal CurrentUser user, @RequestParam(required = false) String plan) {
        return "redirect:" + billing.checkout(user, plan);
    }

    @PostMapping("/billing/portal")
    String portal(@AuthenticationPrincipal CurrentUser user) {
        return "redirect:" + billing.portal(user);
    }

    private void allowStripeFormTargets(HttpServletResponse response) {
        // Spring Security's header writer leaves a policy the response already has
        response.setHeader("Content-Security-Policy", ContentSecurityPolicy.withFormTargets(billing.redirectOrigins()));
    }
}
