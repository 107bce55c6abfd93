package io.virtdevice.dashboard;

import io.virtdevice.devices.DeviceManagement;
import io.virtdevice.platform.web.HtmlPage;
import io.virtdevice.webhooks.IssuedWebhook;
import io.virtdevice.webhooks.RotatedSecret;
import io.virtdevice.webhooks.Webhook;
import io.virtdevice.webhooks.WebhookManagement;
import io.virtdevice.webhooks.WebhookManagement.NewWebhook;
import io.virtdevice.webhooks.WebhookManagement.WebhookEdit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.ModelAttribute;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/**
 * Webhooks through {@link WebhookManagement}, as {@code /api/v1/webhooks} does: create (the signing secret
 * shown on that answer only), edit, enable and disable, rotate the secret, send a test event, the delivery
 * log with redelivery, and why a webhook was disabled.
 */
@Controller
@HtmlPage
class WebhookPageController {

    private static final String SOURCE = "web";
    private static final int DELIVERIES = 25;

    private final WebhookManagement webhooks;
    private final DeviceManagement devices;

    WebhookPageController(WebhookManagement webhooks, DeviceManagement devices) {
        this.webhooks = webhooks;
        this.devices = devices;
    }

    @ModelAttribute("section")
    String section() {
        return "webhooks";
    }

    @GetMapping("/webhooks")
    String list(Model model) {
        model.addAttribute("webhooks", webhooks.list());
        model.addAttribute("eventTypes", Webhook.EVENT_TYPES);
        model.addAttribute("devices", devices.list(null, DevicePageController.PAGE_SIZE, null).items());
        return "webhooks/list";
    }

    @PostMapping("/webhooks")
    String create(@RequestParam String url, @RequestParam(required = false) UUID deviceId,
            @RequestParam(required = false) List<String> events, Model model) {
        IssuedWebhook issued = webhooks.create(new NewWebhook(url, deviceId, events, Map.of()), SOURCE);
        model.addAttribute("secret", issued.secret());
        model.addAttribute("notice", "Webhook created. Copy its signing secret now: it is shown only this once.");
        return detail(issued.webhook().id(), null, model);
    }

    @GetMapping("/webhooks/{id}")
    String detail(@PathVariable UUID id, @RequestParam(required = false) String cursor, Model model) {
        model.addAttribute("webhook", webhooks.get(id));
        model.addAttribute("eventTypes", Webhook.EVENT_TYPES);
        model.addAttribute("deliveries", webhooks.deliveries(id, DELIVERIES, cursor));
        return "webhooks/detail";
    }

    @PostMapping("/webhooks/{id}/edit")
    String edit(@PathVariable UUID id, @RequestParam String url, @RequestParam(required = false) List<String> events,
            RedirectAttributes redirect) {
        webhooks.update(id, new WebhookEdit(url, null, events == null ? List.of() : events, null, null), SOURCE);
        redirect.addFlashAttribute("notice", "Saved.");
        return "redirect:/webhooks/" + id;
    }

    @PostMapping("/webhooks/{id}/enabled")
    String enable(@PathVariable UUID id, @RequestParam boolean enabled, RedirectAttributes redirect) {
        webhooks.update(id, new WebhookEdit(null, null, null, null, enabled), SOURCE);
        redirect.addFlashAttribute("notice", enabled ? "Enabled: new events are delivered again." : "Disabled.");
        return "redirect:/webhooks/" + id;
    }

    @PostMapping("/webhooks/{id}/rotate")
    String rotate(@PathVariable UUID id, Model model) {
        RotatedSecret rotated = webhooks.rotateSecret(id, SOURCE);
        model.addAttribute("secret", rotated.secret());
        model.addAttribute("notice", "New secret issued; the old one keeps signing until "
                + io.virtdevice.platform.web.DisplayTimes.of(rotated.previousSecretExpiresAt()) + ".");
        return detail(id, null, model);
    }

    @PostMapping("/webhooks/{id}/test")
    String test(@PathVariable UUID id, RedirectAttributes redirect) {
        webhooks.sendTest(id);
        redirect.addFlashAttribute("notice", "A test event is on its way: it appears in the log below.");
        return "redirect:/webhooks/" + id;
    }

    @PostMapping("/webhooks/{id}/deliveries/{deliveryId}/redeliver")
    String redeliver(@PathVariable UUID id, @PathVariable UUID deliveryId, RedirectAttributes redirect) {
        webhooks.redeliver(id, deliveryId);
        redirect.addFlashAttribute("notice", "Redelivery scheduled.");
        return "redirect:/webhooks/" + id;
    }

    @PostMapping("/webhooks/{id}/delete")
    String delete(@PathVariable UUID id, RedirectAttributes redirect) {
        webhooks.delete(id, SOURCE);
        redirect.addFlashAttribute("notice", "Webhook deleted.");
        return "redirect:/webhooks";
    }
}
