package io.virtdevice.webhooks;

import com.github.kagkarlsson.scheduler.SchedulerClient;
import io.virtdevice.activity.ActivityAction;
import io.virtdevice.activity.ActivityLog;
import io.virtdevice.devices.DeviceManagement;
import io.virtdevice.devices.DeviceNotFound;
import io.virtdevice.platform.crypto.SecretBox;
import io.virtdevice.platform.jobs.SchedulerNudge;
import io.virtdevice.platform.tenancy.TenantContext;
import io.virtdevice.platform.tenancy.TenantScope;
import io.virtdevice.platform.web.ApiProblem;
import io.virtdevice.platform.web.KeysetCursor;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.json.JsonMapper;

/**
 * The webhooks module's API: a user's webhook subscriptions, their signing secrets, and their delivery
 * log. Secrets are generated here, returned once, and stored only sealed by {@link SecretBox}. URLs pass
 * the {@link EgressPolicy}; custom headers are limited to {@code X-} names in the token charset, at most
 * {@value #MAX_HEADERS} of at most {@value #MAX_HEADER_BYTES} bytes each, with no control characters.
 * Everything runs in the caller's tenant context: another user's webhook or device is "not found".
 */
@Service
public class WebhookManagement {

    public static final int MAX_PAGE_SIZE = 100;
    static final int MAX_HEADERS = 10;
    static final int MAX_HEADER_BYTES = 1024;

    private static final Pattern HEADER_NAME = Pattern.compile("^[Xx]-[!#$%&'*+.^_`|~0-9A-Za-z-]{1,62}$");
    private static final Pattern HEADER_VALUE = Pattern.compile("^[\\x20-\\x7e\\t]*$");

    private final WebhookRepository webhooks;
    private final WebhookDeliveryRepository deliveries;
    private final DeviceManagement devices;
    private final EgressPolicy egress;
    private final SecretBox box;
    private final ActivityLog activity;
    private final SchedulerClient scheduler;
    private final DeliverWebhookTask deliver;
    private final SchedulerNudge nudge;
    private final WebhookSettings settings;
    private final JsonMapper json;

    WebhookManagement(WebhookRepository webhooks, WebhookDeliveryRepository deliveries, DeviceManagement devices,
            EgressPolicy egress, SecretBox box, ActivityLog activity, SchedulerClient scheduler,
            DeliverWebhookTask deliver, SchedulerNudge nudge, WebhookSettings settings, JsonMapper json) {
        this.webhooks = webhooks;
        this.deliveries = deliveries;
        this.devices = devices;
        this.egress = egress;
        this.box = box;
        this.activity = activity;
        this.scheduler = scheduler;
        this.deliver = deliver;
        this.nudge = nudge;
        this.settings = settings;
        this.json = json;
    }

    /**
     * What a new webhook is made of.
     *
     * @param deviceId only this device's events (it must be the caller's), or null for all devices
     * @param events event types from {@link Webhook#EVENT_TYPES}; null or empty means all of them
     * @param headers custom request headers, or null for none
     */
    public record NewWebhook(String url, UUID deviceId, List<String> events, Map<String, String> headers) {}

    /**
     * A change to a webhook: null fields stay as they are.
     *
     * @param deviceId {@code Optional.empty()} makes it a webhook for all devices
     * @param headers replaces all custom headers
     * @param enabled re-enabling clears the failure record
     */
    public record WebhookEdit(String url, Optional<UUID> deviceId, List<String> events, Map<String, String> headers,
            Boolean enabled) {}

    /** Creates a webhook; the result carries its signing secret, which is not shown again. */
    @Transactional
    public IssuedWebhook create(NewWebhook request, String source) {
        TenantContext owner = context();
        String url = validUrl(request.url());
        List<String> events = validEvents(request.events());
        Map<String, String> headers = validHeaders(request.headers());
        if (request.deviceId() != null) {
            requireDevice(request.deviceId());
        }
        if (webhooks.lockAndCount(owner.userId()) >= settings.maxPerUser()) {
            throw new WebhookLimitReached(settings.maxPerUser());
        }
        UUID id = UUID.randomUUID();
        WebhookSecret secret = WebhookSecret.generate();
        Webhook webhook = webhooks.insert(id, owner, url, request.deviceId(), events, headers,
                box.seal(secret.key(), secretContext(id)));
        activity.record(ActivityAction.WEBHOOK_CREATED, source, request.deviceId(),
                Map.of("webhookId", id, "host", host(url), "events", events));
        return new IssuedWebhook(webhook, secret.encoded());
    }

    @Transactional(readOnly = true)
    public List<Webhook> list() {
        return webhooks.list(context().userId());
    }

    /** The webhook, or {@link WebhookNotFound}. */
    @Transactional(readOnly = true)
    public Webhook get(UUID id) {
        return webhooks.find(id).orElseThrow(WebhookNotFound::new);
    }

    @Transactional
    public Webhook update(UUID id, WebhookEdit edit, String source) {
        Webhook current = get(id);
        String url = edit.url() == null ? current.url() : validUrl(edit.url());
        UUID deviceId = edit.deviceId() == null ? current.deviceId() : edit.deviceId().orElse(null);
        if (edit.deviceId() != null && deviceId != null) {
            requireDevice(deviceId);
        }
        List<String> events = edit.events() == null ? current.events() : validEvents(edit.events());
        Map<String, String> headers = edit.headers() == null ? current.headers() : validHeaders(edit.headers());
        webhooks.update(id, url, deviceId, events, headers).orElseThrow(WebhookNotFound::new);
        if (Boolean.TRUE.equals(edit.enabled())) {
            webhooks.enable(id);
        } else if (Boolean.FALSE.equals(edit.enabled())) {
            webhooks.disable(id, "user");
        }
        activity.record(ActivityAction.WEBHOOK_UPDATED, source, deviceId, Map.of("webhookId", id, "host", host(url)));
        return get(id);
    }

    /** Deletes a webhook with its delivery log; pending attempts find nothing and stop. */
    @Transactional
    public void delete(UUID id, String source) {
        String url = webhooks.delete(id).orElseThrow(WebhookNotFound::new);
        activity.record(ActivityAction.WEBHOOK_DELETED, source, null, Map.of("webhookId", id, "host", host(url)));
    }

    /**
     * Replaces the signing secret; the old one keeps signing next to it for
     * {@code virtdevice.webhooks.secret-overlap}, so receivers can switch without losing messages.
     */
    @Transactional
    public RotatedSecret rotateSecret(UUID id, String source) {
        WebhookSecret secret = WebhookSecret.generate();
        Instant previousExpiresAt = webhooks.rotate(id, box.seal(secret.key(), secretContext(id)),
                        settings.secretOverlap())
                .orElseThrow(WebhookNotFound::new);
        activity.record(ActivityAction.WEBHOOK_SECRET_ROTATED, source, null, Map.of("webhookId", id));
        return new RotatedSecret(secret.encoded(), previousExpiresAt);
    }

    /**
     * The webhook's delivery log, newest first.
     *
     * @param limit 1 to {@value #MAX_PAGE_SIZE}
     * @param cursor the previous page's {@code nextCursor}, or null
     */
    @Transactional(readOnly = true)
    public DeliveryPage deliveries(UUID webhookId, int limit, String cursor) {
        if (limit < 1 || limit > MAX_PAGE_SIZE) {
            throw new IllegalArgumentException("limit must be between 1 and " + MAX_PAGE_SIZE);
        }
        KeysetCursor after = KeysetCursor.decode(cursor);
        get(webhookId);
        List<WebhookDelivery> rows = deliveries.page(webhookId, after, limit + 1);
        if (rows.size() <= limit) {
            return new DeliveryPage(rows, null);
        }
        List<WebhookDelivery> page = rows.subList(0, limit);
        WebhookDelivery last = page.get(limit - 1);
        return new DeliveryPage(List.copyOf(page), new KeysetCursor(last.createdAt(), last.id()).encode());
    }

    /** One more attempt of a finished message, with the same {@code webhook-id} and body. */
    @Transactional
    public WebhookDelivery redeliver(UUID webhookId, UUID deliveryId) {
        get(webhookId);
        WebhookDelivery reopened = deliveries.reopen(webhookId, deliveryId).orElseThrow(() -> deliveries
                .find(webhookId, deliveryId)
                .<ApiProblem>map(d -> new DeliveryInProgress())
                .orElseGet(WebhookDeliveryNotFound::new));
        schedule(reopened.id(), reopened.attempts() + 1, deliveryId + "." + (reopened.attempts() + 1));
        return reopened;
    }

    /** Sends a {@code webhook.test} message (one attempt, even to a disabled webhook). */
    @Transactional
    public WebhookDelivery sendTest(UUID webhookId) {
        TenantContext owner = context();
        get(webhookId);
        UUID id = UUID.randomUUID();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", id);
        body.put("type", Webhook.TEST_EVENT);
        body.put("occurredAt", Instant.now());
        body.put("webhook", Map.of("id", webhookId));
        WebhookDelivery delivery = deliveries.insertTest(id, owner, webhookId, json.writeValueAsString(body));
        schedule(id, 1, DeliverWebhookTask.instanceId(id));
        return delivery;
    }

    private void schedule(UUID deliveryId, int attempt, String instanceId) {
        TenantContext owner = context();
        scheduler.scheduleIfNotExists(deliver.instance(instanceId,
                new DeliverWebhookTask.Job(owner.tenantId(), owner.userId(), deliveryId, attempt, true)), Instant.now());
        nudge.afterCommit();
    }

    private void requireDevice(UUID deviceId) {
        if (devices.find(deviceId).isEmpty()) {
            throw new DeviceNotFound();
        }
    }

    private String validUrl(String url) {
        try {
            return egress.validate(url).toString();
        } catch (EgressPolicy.RejectedUrl e) {
            throw ApiProblem.invalidField("url", e.getMessage());
        }
    }

    static List<String> validEvents(List<String> events) {
        if (events == null || events.isEmpty()) {
            return Webhook.EVENT_TYPES;
        }
        Set<String> distinct = new LinkedHashSet<>();
        for (String event : events) {
            if (event == null || !Webhook.EVENT_TYPES.contains(event)) {
                throw ApiProblem.invalidField("events", "each must be one of " + String.join(", ", Webhook.EVENT_TYPES)
                        + ".");
            }
            distinct.add(event);
        }
        return List.copyOf(distinct);
    }

    static Map<String, String> validHeaders(Map<String, String> headers) {
        if (headers == null) {
            return Map.of();
        }
        if (headers.size() > MAX_HEADERS) {
            throw ApiProblem.invalidField("headers", "at most " + MAX_HEADERS + " custom headers are allowed.");
        }
        Map<String, String> valid = new LinkedHashMap<>();
        Set<String> seen = new LinkedHashSet<>();
        for (Map.Entry<String, String> header : headers.entrySet()) {
            String name = header.getKey();
            if (name == null || !HEADER_NAME.matcher(name).matches()) {
                throw ApiProblem.invalidField("headers", "header names must start with X- and use only token "
                        + "characters (letters, digits, !#$%&'*+.^_`|~-), at most 64 in all.");
            }
            if (!seen.add(name.toLowerCase(Locale.ROOT))) {
                throw ApiProblem.invalidField("headers", "header '" + name + "' is given twice.");
            }
            String value = header.getValue();
            if (value == null || !HEADER_VALUE.matcher(value).matches()) {
                throw ApiProblem.invalidField("headers", "header '" + name + "' must be printable ASCII text "
                        + "without line breaks or control characters.");
            }
            if (value.getBytes(StandardCharsets.UTF_8).length > MAX_HEADER_BYTES) {
                throw ApiProblem.invalidField("headers", "header '" + name + "' must be at most " + MAX_HEADER_BYTES
                        + " bytes.");
            }
            valid.put(name, value.strip());
        }
        return valid;
    }

    /** The associated data that binds a webhook's sealed secrets to its row. */
    static String secretContext(UUID webhookId) {
        return "webhooks:" + webhookId;
    }

    /** The host of a URL, for the activity log (paths and queries may carry the receiver's tokens). */
    static String host(String url) {
        try {
            String host = URI.create(url).getHost();
            return host == null ? "" : host;
        } catch (IllegalArgumentException e) {
            return "";
        }
    }

    private static TenantContext context() {
        return TenantScope.current().orElseThrow(() -> new IllegalStateException("webhooks need a tenant context"));
    }
}
