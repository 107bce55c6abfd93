package io.virtdevice.webhooks;

import io.virtdevice.limits.RateLimiter;
import io.virtdevice.limits.RateLimit;
import io.virtdevice.platform.tenancy.TenantScope;
import io.virtdevice.platform.security.CurrentUser;
import io.virtdevice.platform.web.ApiProblem;
import io.virtdevice.platform.web.PageLimit;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.http.CacheControl;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;

/** {@code /api/v1/webhooks}: subscriptions, secret rotation, the delivery log, redelivery and test messages. */
@RestController
@RequestMapping("/api/v1/webhooks")
class WebhookController {

    private static final int DEFAULT_PAGE_SIZE = 50;

    private final WebhookManagement webhooks;
    private final RateLimiter limits;

    WebhookController(WebhookManagement webhooks, RateLimiter limits) {
        this.webhooks = webhooks;
        this.limits = limits;
    }

    /** The body of {@code POST /webhooks}; server-owned fields (id, secret, enabled...) are unknown here. */
    record CreateWebhookRequest(String url, UUID deviceId, JsonNode events, JsonNode headers) {}

    /** The body of {@code PATCH /webhooks/{id}}: absent fields stay; {@code deviceId: null} means all devices. */
    record UpdateWebhookRequest(JsonNode url, JsonNode deviceId, JsonNode events, JsonNode headers, JsonNode enabled) {}

    @PostMapping
    ResponseEntity<IssuedWebhook> create(@RequestBody CreateWebhookRequest body,
            @AuthenticationPrincipal CurrentUser user) {
        IssuedWebhook issued = webhooks.create(new WebhookManagement.NewWebhook(body.url(), body.deviceId(),
                events(body.events()), headers(body.headers())), user.source());
        return ResponseEntity.created(URI.create("/api/v1/webhooks/" + issued.webhook().id()))
                .cacheControl(CacheControl.noStore())
                .body(issued);
    }

    @GetMapping
    Map<String, List<Webhook>> list() {
        return Map.of("items", webhooks.list());
    }

    @GetMapping("/{id}")
    Webhook get(@PathVariable UUID id) {
        return webhooks.get(id);
    }

    @PatchMapping("/{id}")
    Webhook update(@PathVariable UUID id, @RequestBody UpdateWebhookRequest body,
            @AuthenticationPrincipal CurrentUser user) {
        String url = null;
        if (body.url() != null) {
            if (!body.url().isString()) {
                throw ApiProblem.invalidField("url", "must be a string.");
            }
            url = body.url().stringValue();
        }
        Optional<UUID> deviceId = null;
        if (body.deviceId() != null) {
            deviceId = body.deviceId().isNull() ? Optional.empty() : Optional.of(uuid("deviceId", body.deviceId()));
        }
        Boolean enabled = null;
        if (body.enabled() != null) {
            if (!body.enabled().isBoolean()) {
                throw ApiProblem.invalidField("enabled", "must be true or false.");
            }
            enabled = body.enabled().booleanValue();
        }
        return webhooks.update(id, new WebhookManagement.WebhookEdit(url, deviceId,
                body.events() == null ? null : events(body.events()),
                body.headers() == null ? null : headers(body.headers()), enabled), user.source());
    }

    @DeleteMapping("/{id}")
    ResponseEntity<Void> delete(@PathVariable UUID id, @AuthenticationPrincipal CurrentUser user) {
        webhooks.delete(id, user.source());
        return ResponseEntity.noContent().build();
    }

    @PostMapping("/{id}/rotate-secret")
    ResponseEntity<RotatedSecret> rotateSecret(@PathVariable UUID id, @AuthenticationPrincipal CurrentUser user) {
        return ResponseEntity.ok().cacheControl(CacheControl.noStore()).body(webhooks.rotateSecret(id, user.source()));
    }

    @GetMapping("/{id}/deliveries")
    DeliveryPage deliveries(@PathVariable UUID id, @RequestParam(required = false) String limit,
            @RequestParam(required = false) String cursor) {
        return webhooks.deliveries(id, pageSize(limit), cursor);
    }

    @PostMapping("/{id}/deliveries/{deliveryId}/redeliver")
    ResponseEntity<WebhookDelivery> redeliver(@PathVariable UUID id, @PathVariable UUID deliveryId) {
        return ResponseEntity.accepted().body(webhooks.redeliver(id, deliveryId));
    }

    @PostMapping("/{id}/test")
    ResponseEntity<WebhookDelivery> test(@PathVariable UUID id) {
        limits.enforce(RateLimit.WEBHOOK_TESTS, TenantScope.current().orElseThrow().userId().toString());
        return ResponseEntity.accepted().body(webhooks.sendTest(id));
    }

    private static List<String> events(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isArray() || node.size() > Webhook.EVENT_TYPES.size() * 2) {
            throw ApiProblem.invalidField("events", "must be a list of event types.");
        }
        List<String> events = new ArrayList<>();
        for (JsonNode element : node) {
            if (!element.isString()) {
                throw ApiProblem.invalidField("events", "must be a list of event types.");
            }
            events.add(element.stringValue());
        }
        return events;
    }

    private static Map<String, String> headers(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw ApiProblem.invalidField("headers", "must be an object of header names to values.");
        }
        if (node.size() > WebhookManagement.MAX_HEADERS) {
            throw ApiProblem.invalidField("headers", "at most " + WebhookManagement.MAX_HEADERS
                    + " custom headers are allowed.");
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : node.properties()) {
            if (!entry.getValue().isString()) {
                throw ApiProblem.invalidField("headers", "header values must be strings.");
            }
            headers.put(entry.getKey(), entry.getValue().stringValue());
        }
        return headers;
    }

    private static UUID uuid(String field, JsonNode node) {
        try {
            if (node.isString()) {
                return UUID.fromString(node.stringValue());
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        throw ApiProblem.invalidField(field, "must be an id or null.");
    }

    private static int pageSize(String limit) {
        return PageLimit.parse(limit, DEFAULT_PAGE_SIZE, WebhookManagement.MAX_PAGE_SIZE);
    }
}
