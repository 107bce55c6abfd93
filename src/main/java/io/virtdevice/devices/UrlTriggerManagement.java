package io.virtdevice.devices;

import io.virtdevice.limits.RateLimiter;
import io.virtdevice.limits.RateLimit;
import io.virtdevice.activity.ActivityAction;
import io.virtdevice.activity.ActivityLog;
import io.virtdevice.devices.InvalidPropertyValue.Reason;
import io.virtdevice.platform.crypto.Tokens;
import io.virtdevice.platform.tenancy.TenantScope;
import io.virtdevice.platform.web.ApiProblem;
import io.virtdevice.platform.web.WebSettings;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * URL-trigger links: secret URLs ({@code /t/<token>}) that operate one device without any other
 * credential. A link either fixes what it does (a property and value) or lets the caller choose through
 * {@code property} and {@code value} parameters; with neither it does the device's default action (press a
 * doorbell, toggle a switch or dimmer, pulse a contact or motion sensor). Every
 * firing goes through {@link DeviceManagement} with source {@code trigger}.
 */
@Service
public class UrlTriggerManagement {

    static final String TOKEN_PREFIX = "vdt_";
    static final int MAX_ACTIVE_PER_DEVICE = 20;
    private static final int MAX_TOKEN_LENGTH = 128;

    private final UrlTriggerRepository triggers;
    private final DeviceManagement devices;
    private final ActivityLog activity;
    private final WebSettings web;
    private final TransactionTemplate tx;
    private final RateLimiter limits;

    UrlTriggerManagement(UrlTriggerRepository triggers, DeviceManagement devices, ActivityLog activity,
            WebSettings web, PlatformTransactionManager transactions, RateLimiter limits) {
        this.limits = limits;
        this.triggers = triggers;
        this.devices = devices;
        this.activity = activity;
        this.web = web;
        this.tx = new TransactionTemplate(transactions);
    }

    /**
     * Creates a link for a device of the context user.
     *
     * @param property a property to fix, or null
     * @param value the value to fix (JSON, or text as in a query string); needs {@code property}
     * @param postOnly whether the link fires only on POST (a GET answers 405 and changes nothing)
     */
    @Transactional
    public IssuedUrlTrigger create(UUID deviceId, String name, String property, JsonNode value, boolean postOnly,
            ChangeSource source) {
        Device device = devices.get(deviceId);
        String label = DisplayText.required("name", name, 100);
        String stored = null;
        if (property != null) {
            DeviceProperty rules = device.properties().get(property);
            if (rules == null) {
                throw new InvalidPropertyValue(property, Reason.UNKNOWN_PROPERTY,
                        "a " + device.type().code() + " has no such property.");
            }
            if (value != null && !value.isNull()) {
                JsonNode json = value.isString() && rules.dataType() != PropertyDataType.STRING
                        ? PropertyValues.fromText(property, rules.dataType(), value.stringValue())
                        : value;
                // Events are stored without a value: firing the link triggers the event now.
                String checked = PropertyValues.toStored(property, rules, json, Instant.EPOCH);
                stored = rules.dataType() == PropertyDataType.EVENT ? null : checked;
            }
        } else if (value != null && !value.isNull()) {
            throw ApiProblem.invalidField("value", "needs a property to set.");
        }
        if (triggers.countActive(deviceId) >= MAX_ACTIVE_PER_DEVICE) {
            throw ApiProblem.conflict("A device can have at most " + MAX_ACTIVE_PER_DEVICE
                    + " URL triggers; revoke one first.");
        }
        String token = Tokens.generate(TOKEN_PREFIX);
        UrlTriggerRepository.Row row = triggers.insert(TenantScope.current().orElseThrow(), deviceId, label,
                Tokens.displayPrefix(token, 12), Tokens.sha256(token), property, stored, postOnly);
        activity.record(ActivityAction.URL_TRIGGER_CREATED, source.code(), deviceId,
                details(device, row.name(), property));
        return new IssuedUrlTrigger(row.id(), deviceId, row.name(), web.baseUrl() + "/t/" + token, row.prefix(),
                row.property(), typedValue(device, row.property(), row.value()), row.postOnly(), row.createdAt());
    }

    /** Renames a link and/or makes it POST-only or not (null leaves a field as it is). */
    @Transactional
    public UrlTrigger update(UUID deviceId, UUID triggerId, String name, Boolean postOnly) {
        Device device = devices.get(deviceId);
        String label = name == null ? null : DisplayText.required("name", name, 100);
        return triggers.update(deviceId, triggerId, label, postOnly)
                .map(r -> view(device, r))
                .orElseThrow(() -> ApiProblem.notFound("URL trigger"));
    }

    /** The device's live links, newest first (never their tokens). */
    @Transactional(readOnly = true)
    public List<UrlTrigger> list(UUID deviceId) {
        Device device = devices.get(deviceId);
        return triggers.list(deviceId).stream().map(r -> view(device, r)).toList();
    }

    private static UrlTrigger view(Device device, UrlTriggerRepository.Row r) {
        return new UrlTrigger(r.id(), r.deviceId(), r.name(), r.prefix(), r.property(),
                typedValue(device, r.property(), r.value()), r.postOnly(), r.lastUsedAt(), r.useCount(), r.createdAt());
    }

    /** Revokes a link at once; an unknown, foreign or already revoked link is a 404. */
    @Transactional
    public void revoke(UUID deviceId, UUID triggerId, ChangeSource source) {
        Device device = devices.get(deviceId);
        String name = triggers.revoke(deviceId, triggerId)
                .orElseThrow(() -> ApiProblem.notFound("URL trigger"));
        activity.record(ActivityAction.URL_TRIGGER_REVOKED, source.code(), deviceId, details(device, name, null));
    }

    /**
     * Fires a link. The link's fixed property and value win over the caller's. Without any property the
     * device does its default action (doorbell: press; switch and dimmer: toggle power; contact and motion
     * sensors: pulse; temperature sensors have none); with a property but no value an on/off property toggles
     * and an event fires.
     *
     * @param value the caller's value as JSON, or as text (a query string), or null
     * @param viaGet whether the request is a GET: a POST-only link then answers 405 and changes nothing
     * @return the device after the change
     */
    public Device fire(String token, String property, JsonNode value, boolean viaGet) {
        if (token == null || !token.startsWith(TOKEN_PREFIX) || token.length() > MAX_TOKEN_LENGTH) {
            throw notFound();
        }
        UrlTriggerRepository.Resolved link = TenantScope.callWithoutContext(
                () -> tx.execute(s -> triggers.resolve(Tokens.sha256(token), viaGet))).orElseThrow(UrlTriggerManagement::notFound);
        if (link.owner() == null) {
            throw new PostOnlyLink();
        }
        return TenantScope.call(link.owner(), () -> {
            limits.enforce(RateLimit.URL_TRIGGER_FIRES, link.triggerId().toString());
            limits.enforceChange(link.deviceId());
            return devices.change(link.deviceId(), ChangeSource.TRIGGER, device -> action(device, link, property, value));
        });
    }

    private static DeviceManagement.Request action(Device device, UrlTriggerRepository.Resolved link, String property,
            JsonNode value) {
        JsonNodeFactory nodes = JsonNodeFactory.instance;
        String target = link.property() != null ? link.property() : blankToNull(property);
        if (target == null) {
            if (value != null && !value.isNull()) {
                throw ApiProblem.invalidField("property", "is required when a value is given.");
            }
            if (device.type().detection().isPresent()) {
                // a contact or motion sensor's default action is a pulse
                DeviceType.Detection d = device.type().detection().get();
                return new DeviceManagement.Request(Map.of(d.property(), nodes.stringNode(d.detected())), true);
            }
            return DeviceManagement.Request.of(switch (device.type()) {
                case DOORBELL -> Map.of("press", nodes.booleanNode(true));
                case SWITCH, DIMMER -> Map.of("power", nodes.booleanNode(!Boolean.TRUE.equals(device.value("power"))));
                default -> throw ApiProblem.badRequest("A " + device.type().code()
                        + " has no default action: name a property and a value.");
            });
        }
        DeviceProperty rules = device.properties().get(target);
        if (rules == null) {
            throw new InvalidPropertyValue(target, Reason.UNKNOWN_PROPERTY,
                    "a " + device.type().code() + " has no such property.");
        }
        JsonNode chosen = link.property() != null && link.value() != null
                ? nodes.stringNode(link.value())
                : value == null || value.isNull() ? null : value;
        if (chosen == null) {
            return DeviceManagement.Request.of(switch (rules.dataType()) {
                case BOOLEAN -> Map.of(target, nodes.booleanNode(!Boolean.TRUE.equals(rules.value())));
                case EVENT -> Map.of(target, nodes.booleanNode(true));
                default -> throw new InvalidPropertyValue(target, Reason.MISSING_VALUE, "a value is required.");
            });
        }
        if (chosen.isString() && rules.dataType() != PropertyDataType.STRING) {
            chosen = PropertyValues.fromText(target, rules.dataType(), chosen.stringValue());
        }
        Map<String, JsonNode> values = new LinkedHashMap<>();
        values.put(target, chosen);
        return DeviceManagement.Request.of(values);
    }

    private static Object typedValue(Device device, String property, String stored) {
        DeviceProperty rules = property == null ? null : device.properties().get(property);
        return rules == null ? stored : PropertyValues.typed(rules.dataType(), stored);
    }

    private static Map<String, Object> details(Device device, String triggerName, String property) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("name", device.name());
        details.put("trigger", triggerName);
        if (property != null) {
            details.put("property", property);
        }
        return details;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }

    private static ApiProblem notFound() {
        return ApiProblem.notFound("URL trigger");
    }
}
