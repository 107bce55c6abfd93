package io.virtdevice.dashboard;

import io.virtdevice.limits.RateLimiter;
import io.virtdevice.accounts.Account;
import io.virtdevice.activity.ActivityFeed;
import io.virtdevice.alexa.AlexaDiagnostics;
import io.virtdevice.billing.BillingManagement;
import io.virtdevice.devices.ChangeSource;
import io.virtdevice.devices.Device;
import io.virtdevice.devices.DeviceEdit;
import io.virtdevice.devices.DeviceManagement;
import io.virtdevice.devices.DevicePage;
import io.virtdevice.devices.DeviceType;
import io.virtdevice.devices.IssuedUrlTrigger;
import io.virtdevice.devices.NewDevice;
import io.virtdevice.devices.UrlTriggerManagement;
import io.virtdevice.events.LiveStreams;
import io.virtdevice.platform.security.CurrentUser;
import io.virtdevice.platform.web.ApiProblem;
import io.virtdevice.platform.web.HtmlPage;
import java.util.Arrays;
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
 * The devices grid and a device's page. Every action calls {@link DeviceManagement} (or
 * {@link UrlTriggerManagement}) as the REST API does, with the {@code web} source; the card's buttons answer
 * with the card as it now is, and every open page also hears the change on its live stream ({@link LiveUpdates}).
 */
@Controller
@HtmlPage
class DevicePageController {

    static final int PAGE_SIZE = 100;
    private static final int CHART_EVENTS = 60;
    private static final int ACTIVITY_ITEMS = 10;

    private final DeviceManagement devices;
    private final UrlTriggerManagement triggers;
    private final ActivityFeed activity;
    private final LiveStreams live;
    private final AlexaDiagnostics alexa;
    private final BillingManagement billing;
    private final RateLimiter limits;

    DevicePageController(DeviceManagement devices, UrlTriggerManagement triggers, ActivityFeed activity,
            LiveStreams live, AlexaDiagnostics alexa, BillingManagement billing, RateLimiter limits) {
        this.limits = limits;
        this.devices = devices;
        this.triggers = triggers;
        this.activity = activity;
        this.live = live;
        this.alexa = alexa;
        this.billing = billing;
    }

    @ModelAttribute("section")
    String section() {
        return "devices";
    }

    @GetMapping("/devices")
    String grid(Model model) {
        Account account = (Account) model.getAttribute("account");
        page(model, null);
        int count = devices.count();
        model.addAttribute("count", count);
        model.addAttribute("remaining", account == null ? 0 : Math.max(0, account.plan().maxDevices() - count));
        model.addAttribute("billing", billing.stripeEnabled());
        model.addAttribute("types", Arrays.asList(DeviceType.values()));
        return "devices/list";
    }

    /** The grid alone (after a live reset) or its next page ({@code cursor}). */
    @GetMapping("/devices/grid")
    String gridFragment(@RequestParam(required = false) String cursor, Model model) {
        page(model, cursor);
        return cursor == null ? "devices/list :: grid" : "devices/card :: more";
    }

    private void page(Model model, String cursor) {
        DevicePage page = devices.list(null, PAGE_SIZE, cursor);
        model.addAttribute("cards", page.items().stream().map(DeviceCard::of).toList());
        model.addAttribute("nextCursor", page.nextCursor());
    }

    @PostMapping("/devices")
    String create(@RequestParam String name, @RequestParam String type, RedirectAttributes redirect) {
        DeviceType chosen = DeviceType.fromCode(type)
                .orElseThrow(() -> ApiProblem.invalidField("type", "is not a device template."));
        try {
            Device device = devices.create(new NewDevice(name, chosen, null, null), ChangeSource.WEB);
            redirect.addFlashAttribute("notice", "“" + device.name() + "” is ready.");
        } catch (ApiProblem e) {
            redirect.addFlashAttribute("error", e.getBody().getDetail());
            redirect.addFlashAttribute("draftName", name);
        }
        return "redirect:/devices";
    }

    @GetMapping("/devices/{id}")
    String detail(@AuthenticationPrincipal CurrentUser user, @PathVariable UUID id, Model model) {
        Device device = devices.get(id);
        model.addAttribute("device", device);
        model.addAttribute("card", DeviceCard.of(device));
        model.addAttribute("triggers", triggers.list(id));
        model.addAttribute("chart", StateChart.of(device.type(), live.recent(user.userId(), id, CHART_EVENTS)));
        model.addAttribute("activity", activity.page(id, null, null, null, ACTIVITY_ITEMS, null).items());
        model.addAttribute("deviceId", id);
        model.addAttribute("health", alexa.health(user.context()));
        model.addAttribute("events", alexa.events(user.context(), id));
        return "devices/detail";
    }

    @GetMapping("/devices/{id}/card")
    String card(@PathVariable UUID id, Model model) {
        return card(model, devices.get(id));
    }

    @PostMapping("/devices/{id}/toggle")
    String toggle(@PathVariable UUID id, Model model) {
        limits.enforceChange(id);
        return card(model, devices.toggle(id, "power", ChangeSource.WEB));
    }

    /** One property from a form field: the slider's brightness, a sensor's state, a temperature. */
    @PostMapping("/devices/{id}/set")
    String set(@PathVariable UUID id, @RequestParam String property, @RequestParam String value, Model model) {
        limits.enforceChange(id);
        return card(model, devices.setFromText(id, property, value, null, ChangeSource.WEB));
    }

    @PostMapping("/devices/{id}/press")
    String press(@PathVariable UUID id, Model model) {
        limits.enforceChange(id);
        return card(model, devices.press(id, ChangeSource.WEB));
    }

    /** A pulse of a contact or motion sensor: detected now, back to idle after its reset delay. */
    @PostMapping("/devices/{id}/pulse")
    String pulse(@PathVariable UUID id, Model model) {
        limits.enforceChange(id);
        return card(model, devices.pulse(id, ChangeSource.WEB));
    }

    /** Marks the device offline (Alexa reports it unreachable) or online again. */
    @PostMapping("/devices/{id}/online")
    String online(@PathVariable UUID id, @RequestParam boolean online, RedirectAttributes redirect) {
        devices.edit(id, DeviceEdit.online(online), null, ChangeSource.WEB);
        redirect.addFlashAttribute("notice", online ? "Marked online." : "Marked offline: Alexa now reports it unreachable.");
        return "redirect:/devices/" + id;
    }

    /** A contact or motion sensor's momentary option and reset delay. */
    @PostMapping("/devices/{id}/momentary")
    String momentary(@PathVariable UUID id, @RequestParam(defaultValue = "false") boolean momentary,
            @RequestParam String pulseSeconds, RedirectAttributes redirect) {
        int seconds;
        try {
            seconds = Integer.parseInt(pulseSeconds.strip());
        } catch (NumberFormatException e) {
            redirect.addFlashAttribute("error", "The reset delay must be a whole number of seconds, 1 to 3600.");
            return "redirect:/devices/" + id;
        }
        try {
            devices.edit(id, new DeviceEdit(null, null, null, null, momentary, seconds), null, ChangeSource.WEB);
            redirect.addFlashAttribute("notice", momentary
                    ? "Momentary: each detection resets after " + seconds + " s." : "Saved: not momentary.");
        } catch (ApiProblem e) {
            redirect.addFlashAttribute("error", e.getBody().getDetail());
        }
        return "redirect:/devices/" + id;
    }

    @PostMapping("/devices/{id}/rename")
    String rename(@PathVariable UUID id, @RequestParam String name, RedirectAttributes redirect) {
        try {
            devices.edit(id, new DeviceEdit(name, null, null), null, ChangeSource.WEB);
            redirect.addFlashAttribute("notice", "Renamed.");
        } catch (ApiProblem e) {
            redirect.addFlashAttribute("error", e.getBody().getDetail());
        }
        return "redirect:/devices/" + id;
    }

    @PostMapping("/devices/{id}/delete")
    String delete(@PathVariable UUID id, RedirectAttributes redirect) {
        String name = devices.get(id).name();
        devices.delete(id, null, ChangeSource.WEB);
        redirect.addFlashAttribute("notice", "“" + name + "” was deleted.");
        return "redirect:/devices";
    }

    /** A new URL trigger: its link is shown on this answer only (it is stored as a hash). */
    @PostMapping("/devices/{id}/triggers")
    String createTrigger(@AuthenticationPrincipal CurrentUser user, @PathVariable UUID id,
            @RequestParam String name, @RequestParam(defaultValue = "false") boolean postOnly, Model model) {
        IssuedUrlTrigger issued = triggers.create(id, name, null, null, postOnly, ChangeSource.WEB);
        model.addAttribute("issued", issued);
        return detail(user, id, model);
    }

    @PostMapping("/devices/{id}/triggers/{triggerId}/revoke")
    String revokeTrigger(@PathVariable UUID id, @PathVariable UUID triggerId, RedirectAttributes redirect) {
        triggers.revoke(id, triggerId, ChangeSource.WEB);
        redirect.addFlashAttribute("notice", "The link was revoked: it no longer works.");
        return "redirect:/devices/" + id;
    }

    private static String card(Model model, Device device) {
        model.addAttribute("card", DeviceCard.of(device));
        return "devices/card :: card";
    }
}
