package io.virtdevice.ifttt;

import io.virtdevice.activity.ActivityAction;
import io.virtdevice.activity.ActivityLog;
import io.virtdevice.devices.DeviceRef;
import io.virtdevice.events.DeviceEvent;
import io.virtdevice.events.DeviceEventHistory;
import io.virtdevice.platform.security.CurrentUser;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Trigger polls (shared/spec/ifttt.md §4.4): the newest {@code limit} matching events of the chosen device,
 * newest first, read from the change events through the events module, whatever the change's source; and
 * the trigger identities they carry, stored per user for the realtime notifications (§4.5).
 */
@Service
class IftttTriggers {

    static final int DEFAULT_LIMIT = 50;
    static final int MAX_IDENTITY_LENGTH = 255;
    static final Set<String> KINDS = Set.of("property.changed", "doorbell.pressed");

    /** The region ids {@link #zone} accepts (IANA names known to this JVM). */
    private static final Set<String> REGION_IDS = Set.copyOf(ZoneId.getAvailableZoneIds());
    private static final java.util.regex.Pattern OFFSET_LIKE =
            java.util.regex.Pattern.compile("(?:Z|(?:UTC|GMT|UT)?[+-][0-9:]{1,8}|UTC|GMT|UT)");

    /** W3C date-time with an offset, as IFTTT's "Date with time" ingredients want it. */
    static final DateTimeFormatter DATE_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssxxx");

    private final IftttFields fields;
    private final DeviceEventHistory history;
    private final TriggerSubscriptions subscriptions;
    private final ActivityLog activity;
    private final JsonMapper json;
    private final IftttSettings settings;

    IftttTriggers(IftttFields fields, DeviceEventHistory history, TriggerSubscriptions subscriptions,
            ActivityLog activity, JsonMapper json, IftttSettings settings) {
        this.fields = fields;
        this.history = history;
        this.subscriptions = subscriptions;
        this.activity = activity;
        this.json = json;
        this.settings = settings;
    }

    @Transactional
    public List<Map<String, Object>> poll(CurrentUser user, IftttTrigger trigger, JsonNode body) {
        Map<String, String> values = fields.read(trigger.fields(), body.get("triggerFields"), "triggerFields",
                IftttError::badRequest);
        int limit = limit(body.get("limit"));
        String identity = identity(body.get("trigger_identity"));
        ChangeRule rule = trigger.rule(values);
        Optional<DeviceRef> device = fields.pollable(trigger.field("device").orElseThrow(), values.get("device"));
        boolean log = identity != null && remember(user, trigger, identity, values, body.get("ifttt_source"));
        List<DeviceEvent> events = device.isEmpty() || limit == 0
                ? List.of()
                : history.newestOfDevice(user.userId(), device.get().id(), KINDS, rule.path(), rule.pathVariables(),
                        limit);
        ZoneId zone = zone(body.path("user").path("timezone"));
        List<Map<String, Object>> items = events.stream().map(e -> item(e, rule, zone)).toList();
        if (log && subscriptions.markLogged(user.userId(), identity)) {
            activity.record(ActivityAction.IFTTT_TRIGGER, "ifttt", device.map(DeviceRef::id).orElse(null),
                    Map.of("trigger", trigger.slug(), "triggerIdentity", identity, "events", items.size()));
        }
        return items;
    }

    /** Forgets a trigger identity no applet uses any more; unknown identities are fine (idempotent). */
    @Transactional
    public void forget(CurrentUser user, IftttTrigger trigger, String identity) {
        subscriptions.delete(user.userId(), trigger.slug(), identity);
    }

    /**
     * Stores or refreshes the identity, writing only what changed (a poll of a known identity writes its
     * poll time at most every {@link IftttSettings#pollTimePrecision()}, one minute by default).
     *
     * @return whether this poll is due for the activity log
     */
    private boolean remember(CurrentUser user, IftttTrigger trigger, String identity, Map<String, String> values,
            JsonNode source) {
        String fieldsJson = json.writeValueAsString(values);
        Optional<TriggerSubscriptions.Subscription> known = subscriptions.find(user.userId(), identity);
        boolean same = known.isPresent() && known.get().enabled() && known.get().trigger().equals(trigger.slug())
                && json.readTree(known.get().fields()).equals(json.readTree(fieldsJson));
        Instant now = Instant.now();
        if (same) {
            TriggerSubscriptions.Subscription s = known.get();
            boolean logDue = s.lastLoggedAt() == null || s.lastLoggedAt().isBefore(now.minus(TriggerSubscriptions.LOG_EVERY));
            Duration precision = settings.pollTimePrecision();
            if (s.lastPolledAt() == null || s.lastPolledAt().isBefore(now.minus(precision))) {
                // only bookkeeping, unless the activity entry follows in this transaction
                subscriptions.touchPolled(s.id(), precision, logDue);
            }
            return logDue;
        }
        String sourceJson = source != null && source.isObject() && source.toString().length() <= 2048
                ? source.toString()
                : null;
        subscriptions.upsert(user.context(), identity, trigger.slug(), fieldsJson, sourceJson);
        return true;
    }

    private static Map<String, Object> item(DeviceEvent event, ChangeRule rule, ZoneId zone) {
        JsonNode change = rule.firstMatch(event.changes())
                .orElseGet(() -> event.changes().isEmpty() ? json().nullNode() : event.changes().get(0));
        Map<String, Object> item = new LinkedHashMap<>();
        item.put("device_name", event.deviceName() == null ? "" : event.deviceName());
        item.put("device_id", event.iftttDeviceId() == null ? "" : event.iftttDeviceId());
        item.put("device_type", event.deviceType() == null ? "" : event.deviceType());
        item.put("property", change.path("property").asString(""));
        item.put("value", text(change.path("new")));
        item.put("previous_value", text(change.path("old")));
        item.put("source", event.source());
        item.put("changed_at", DATE_TIME.format(event.occurredAt().atZone(zone)));
        item.put("meta", Map.of("id", event.id().toString(), "timestamp", event.occurredAt().getEpochSecond()));
        return item;
    }

    private static tools.jackson.databind.node.JsonNodeFactory json() {
        return tools.jackson.databind.node.JsonNodeFactory.instance;
    }

    static String text(JsonNode value) {
        return value == null || value.isNull() || value.isMissingNode() ? "" : value.asString();
    }

    /** IFTTT's {@code limit}: absent means 50, 0 means none; at most the history's page. */
    static int limit(JsonNode limit) {
        if (limit == null || limit.isNull()) {
            return DEFAULT_LIMIT;
        }
        long value;
        if (limit.isIntegralNumber()) {
            value = limit.canConvertToLong() ? limit.longValue() : -1;
        } else if (limit.isString() && limit.stringValue().strip().matches("[0-9]{1,9}")) {
            value = Long.parseLong(limit.stringValue().strip());
        } else {
            throw IftttError.badRequest("limit must be a whole number of 0 or more.");
        }
        if (value < 0) {
            throw IftttError.badRequest("limit must be a whole number of 0 or more.");
        }
        return (int) Math.min(value, DeviceEventHistory.MAX_LIMIT);
    }

    private static String identity(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isString() || node.stringValue().isBlank()) {
            throw IftttError.badRequest("trigger_identity must be text.");
        }
        if (node.stringValue().length() > MAX_IDENTITY_LENGTH) {
            throw IftttError.badRequest("trigger_identity is too long.");
        }
        return node.stringValue();
    }

    /**
     * The user's time zone when IFTTT sends an IANA name; UTC otherwise (the name is opaque, §4.4). IFTTT
     * usually sends a Rails name ("Pacific Time (US & Canada)"): it is recognised as no region id by a set
     * lookup, not by {@link ZoneId#of} throwing (an exception with its stack trace on every poll).
     */
    static ZoneId zone(JsonNode timezone) {
        if (timezone == null || !timezone.isString() || timezone.stringValue().length() > 64) {
            return ZoneOffset.UTC;
        }
        String name = timezone.stringValue();
        if (REGION_IDS.contains(name)) {
            return ZoneId.of(name);
        }
        if (OFFSET_LIKE.matcher(name).matches()) {
            try {
                return ZoneId.of(name); // "+02:00", "UTC+1", "GMT-05:30"
            } catch (RuntimeException e) {
                // not an offset after all: keep UTC
            }
        }
        return ZoneOffset.UTC;
    }


    static String dateTime(Instant instant, ZoneId zone) {
        return DATE_TIME.format(instant.atZone(zone));
    }
}
