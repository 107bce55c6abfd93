package io.virtdevice.devices;

import io.virtdevice.activity.ActivityAction;
import io.virtdevice.activity.ActivityLog;
import io.virtdevice.devices.DeviceStateChanged.Change;
import io.virtdevice.devices.DeviceStateChanged.Kind;
import io.virtdevice.devices.InvalidPropertyValue.Reason;
import io.virtdevice.platform.tenancy.TenantContext;
import io.virtdevice.platform.tenancy.TenantScope;
import io.virtdevice.platform.tenancy.TenantScopedTransactionManager;
import io.virtdevice.platform.web.ApiProblem;
import io.virtdevice.platform.web.DatabaseErrors;
import io.virtdevice.platform.web.KeysetCursor;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.dao.DataAccessException;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * The devices module's API and the one way to change a device: REST, the dashboard, URL triggers, Alexa
 * and IFTTT all come through here. Each change runs in one transaction that locks the device row,
 * validates everything before writing anything, updates the rows, bumps {@code devices.version}, appends
 * a {@code device_events} row and an activity entry, and publishes one {@link DeviceStateChanged}. A
 * change that changes nothing succeeds without a new version, event or activity entry.
 *
 * <p>Contact and motion sensors can <em>pulse</em> (docs/momentary-sensors.md): DETECTED now, NOT_DETECTED
 * {@link Device#pulseSeconds()} later, the reset being a change of its own (source {@code system}) made by the
 * durable {@code devices.pulse-reset} task. A momentary sensor ({@link Device#momentary()}) pulses whenever
 * anything sets it DETECTED; {@link #pulse} pulses any contact or motion sensor once. A pulse that arrives
 * while the sensor is still DETECTED ends the current pulse at once and starts a new one: two changes in
 * one transaction, DETECTED to NOT_DETECTED (source {@code system}) and back to DETECTED (the caller's
 * source), two events in that order, so a consumer (Alexa) sees a fresh rising edge every time.
 *
 * <p>Callers must run inside a tenant scope (the request's, or one they open for a resolved credential);
 * row-level security makes another user's device indistinguishable from a missing one
 * ({@link DeviceNotFound}).
 */
@Service
public class DeviceManagement {

    public static final int MAX_PAGE_SIZE = 100;

    /** The most devices {@link #list(int)} reads at once. */
    public static final int MAX_LIST_SIZE = 1000;

    /** How long a pulse stays DETECTED unless the device says otherwise. */
    public static final int DEFAULT_PULSE_SECONDS = 10;

    static final int PULSE_SECONDS_MAX = 3600;

    static final int NAME_MAX = 100;
    static final int FRIENDLY_NAME_MAX = 128;
    static final int DESCRIPTION_MAX = 128;

    private static final Logger log = LoggerFactory.getLogger(DeviceManagement.class);

    private final DeviceRepository devices;
    private final DeviceEventRepository events;
    private final ActivityLog activity;
    private final ApplicationEventPublisher publisher;
    private final PulseResets pulses;
    private final DeviceStates states;
    // the locked path of a property change: its first statement (the locked read) binds the tenant context
    private final TransactionTemplate lockedChange;
    private final Counter oneStatement;
    private final Counter guessedWrong;
    private final Counter contextLost;
    private final Counter locked;
    private final AtomicBoolean contextLostLogged = new AtomicBoolean();

    DeviceManagement(DeviceRepository devices, DeviceEventRepository events, ActivityLog activity,
            ApplicationEventPublisher publisher, PulseResets pulses, DeviceStates states,
            PlatformTransactionManager transactions, MeterRegistry meters) {
        this.devices = devices;
        this.events = events;
        this.activity = activity;
        this.publisher = publisher;
        this.pulses = pulses;
        this.states = states;
        this.lockedChange = TenantScopedTransactionManager.contextInFirstStatement(transactions);
        this.oneStatement = Counter.builder("virtdevice.device.changes.one.statement")
                .description("property changes written in one statement from the device's remembered state")
                .register(meters);
        this.guessedWrong = Counter.builder("virtdevice.device.changes.stale.guess")
                .description("one-statement changes that wrote nothing (the device had changed) and took the locked path")
                .register(meters);
        this.contextLost = Counter.builder("virtdevice.device.changes.context.lost")
                .description("one-statement changes that ran without the tenant context (the driver split the round"
                        + " trip), wrote nothing and took the locked path; should stay 0")
                .register(meters);
        this.locked = Counter.builder("virtdevice.device.changes.locked")
                .description("property changes written after a locked read of the device")
                .register(meters);
    }

    /**
     * What a change asks for.
     *
     * @param values the property values to set
     * @param pulse whether setting a sensor's detection property to DETECTED is a pulse even if the device
     *     is not momentary
     */
    record Request(Map<String, JsonNode> values, boolean pulse) {

        static Request of(Map<String, JsonNode> values) {
            return new Request(values, false);
        }
    }

    @Transactional(readOnly = true)
    public Optional<Device> find(UUID id) {
        return devices.find(id);
    }

    /**
     * The context user's devices among {@code ids}, in no particular order: unknown, deleted and other users'
     * devices are left out. Two round trips whatever the number (a consumer staging a run of changes).
     */
    @Transactional(readOnly = true)
    public List<Device> findAll(java.util.Collection<UUID> ids) {
        return devices.findAll(ids);
    }

    /** The context user's device Alexa knows by this endpoint id, if any (another user's is not found). */
    @Transactional(readOnly = true)
    public Optional<Device> findByAlexaEndpointId(String endpointId) {
        return devices.findByAlexaEndpointId(endpointId);
    }

    /** The context user's device IFTTT knows by this id, if any (another user's is not found). */
    @Transactional(readOnly = true)
    public Optional<Device> findByIftttDeviceId(String iftttDeviceId) {
        return devices.findByIftttDeviceId(iftttDeviceId);
    }

    /**
     * The context user's device IFTTT knows by this id, identity only (no properties), in one statement: what
     * an IFTTT trigger poll checks its device with. Another user's device is not found.
     */
    @Transactional(readOnly = true)
    public Optional<DeviceRef> refByIftttDeviceId(String iftttDeviceId) {
        return devices.refByIftttDeviceId(iftttDeviceId);
    }

    /**
     * The context user's devices among these IFTTT device ids, identity only (no properties), in no particular
     * order; unknown, deleted and other users' devices are left out. One statement: the dashboard names a
     * page of trigger identities' devices with it.
     */
    @Transactional(readOnly = true)
    public List<DeviceRef> refsByIftttDeviceId(java.util.Collection<String> iftttDeviceIds) {
        return devices.refsByIftttDeviceId(iftttDeviceIds);
    }

    /** The device, or {@link DeviceNotFound}. */
    @Transactional(readOnly = true)
    public Device get(UUID id) {
        return devices.find(id).orElseThrow(DeviceNotFound::new);
    }

    /**
     * The context user's devices in creation order.
     *
     * @param type only devices of this type, or null for all
     * @param limit 1 to {@value #MAX_PAGE_SIZE}
     * @param cursor a {@link DevicePage#nextCursor()} from the previous page, or null for the first page
     */
    @Transactional(readOnly = true)
    public DevicePage list(DeviceType type, int limit, String cursor) {
        if (limit < 1 || limit > MAX_PAGE_SIZE) {
            throw new IllegalArgumentException("limit must be between 1 and " + MAX_PAGE_SIZE);
        }
        KeysetCursor after = KeysetCursor.decode(cursor);
        List<Device> rows = devices.page(context().userId(), type, after, limit + 1);
        if (rows.size() <= limit) {
            return new DevicePage(rows, null);
        }
        List<Device> page = rows.subList(0, limit);
        Device last = page.get(limit - 1);
        return new DevicePage(List.copyOf(page), new KeysetCursor(last.createdAt(), last.id()).encode());
    }

    /** How many devices the context user has (against the plan's limit). */
    @Transactional(readOnly = true)
    public int count() {
        return devices.count(context().userId());
    }

    /**
     * The context user's first devices in creation order, at most {@code max} (1 to
     * {@value #MAX_LIST_SIZE}), in one read: for a caller that needs them all at once (Alexa's Discover takes
     * up to 300) rather than page by page; {@link #list(DeviceType, int, String)} pages.
     */
    @Transactional(readOnly = true)
    public List<Device> list(int max) {
        if (max < 1 || max > MAX_LIST_SIZE) {
            throw new IllegalArgumentException("max must be between 1 and " + MAX_LIST_SIZE);
        }
        return devices.page(context().userId(), null, null, max);
    }

    /**
     * Creates a device with its type's default property values.
     *
     * @throws DeviceLimitReached when the plan's device limit is reached (enforced race-free by the database)
     * @throws DeviceNameTaken when the user already has a device of that name, ignoring case
     */
    @Transactional
    public Device create(NewDevice request, ChangeSource source) {
        Objects.requireNonNull(request.type(), "type");
        String name = DisplayText.required("name", request.name(), NAME_MAX);
        String friendlyName = DisplayText.optional("friendlyName", request.friendlyName(), FRIENDLY_NAME_MAX);
        String description = DisplayText.optional("description", request.description(), DESCRIPTION_MAX);
        boolean momentary = Boolean.TRUE.equals(request.momentary());
        int pulseSeconds = request.pulseSeconds() == null ? DEFAULT_PULSE_SECONDS : request.pulseSeconds();
        checkPulseOptions(request.type(), request.momentary(), request.pulseSeconds());
        TenantContext owner = context();
        UUID id;
        try {
            id = devices.insert(owner, name, friendlyName == null ? name : friendlyName, request.type(), description,
                    momentary, pulseSeconds);
        } catch (DataAccessException e) {
            throw translate(e, name);
        }
        request.type().properties().forEach(p -> devices.insertProperty(owner, id, p, source));
        Device device = get(id);
        DeviceStateChanged event = store(device, Kind.CREATED, source, device.version(), List.of(), device.snapshot());
        activity.record(ActivityAction.DEVICE_CREATED, source.code(), id,
                Map.of("name", name, "type", request.type().code()));
        publisher.publishEvent(event);
        return device;
    }

    /**
     * Renames a device, changes its description, marks it offline or online, or changes its pulse options;
     * one {@code device.updated} event lists what changed ({@code name}, {@code friendlyName},
     * {@code description}, {@code online}, {@code momentary}, {@code pulseSeconds}, each with its old and new
     * value).
     *
     * @param expectedVersion the version the caller last saw (If-Match), or null to skip the check
     */
    @Transactional
    public Device edit(UUID id, DeviceEdit edit, Long expectedVersion, ChangeSource source) {
        Device current = lockAndGet(id, expectedVersion).device();
        String name = edit.name() == null ? current.name() : DisplayText.required("name", edit.name(), NAME_MAX);
        String friendlyName = edit.friendlyName() == null
                ? current.friendlyName()
                : DisplayText.required("friendlyName", edit.friendlyName(), FRIENDLY_NAME_MAX);
        String description = edit.description() == null
                ? current.description()
                : DisplayText.optional("description", edit.description().orElse(null), DESCRIPTION_MAX);
        checkPulseOptions(current.type(), edit.momentary(), edit.pulseSeconds());
        boolean online = edit.online() == null ? current.online() : edit.online();
        boolean momentary = edit.momentary() == null ? current.momentary() : edit.momentary();
        int pulseSeconds = edit.pulseSeconds() == null ? current.pulseSeconds() : edit.pulseSeconds();
        List<Change> changes = new ArrayList<>();
        addIfChanged(changes, "name", current.name(), name);
        addIfChanged(changes, "friendlyName", current.friendlyName(), friendlyName);
        addIfChanged(changes, "description", current.description(), description);
        addIfChanged(changes, "online", current.online(), online);
        addIfChanged(changes, "momentary", current.momentary(), momentary);
        addIfChanged(changes, "pulseSeconds", current.pulseSeconds(), pulseSeconds);
        if (changes.isEmpty()) {
            return current;
        }
        try {
            devices.updateDetails(id, name, friendlyName, description, online, momentary, pulseSeconds);
        } catch (DataAccessException e) {
            throw translate(e, name);
        }
        Device device = get(id);
        DeviceStateChanged event = store(device, Kind.UPDATED, source, device.version(), changes, device.snapshot());
        activity.record(ActivityAction.DEVICE_UPDATED, source.code(), id, Map.of("name", name, "changes", changes));
        publisher.publishEvent(event);
        return device;
    }

    /** Deletes a device with its properties and URL triggers; its events and activity remain. */
    @Transactional
    public void delete(UUID id, Long expectedVersion, ChangeSource source) {
        Device current = lockAndGet(id, expectedVersion).device();
        devices.delete(id);
        states.forget(context().userId(), id);
        DeviceStateChanged event =
                store(current, Kind.DELETED, source, current.version() + 1, List.of(), current.snapshot());
        activity.record(ActivityAction.DEVICE_DELETED, source.code(), id,
                Map.of("name", current.name(), "type", current.type().code()));
        publisher.publishEvent(event);
    }

    /**
     * Deletes every device of the context user, each exactly as {@link #delete} does (one
     * {@code device.deleted} event per device), in the caller's transaction: account deletion and member
     * removal call this before the user goes, so the integrations hear of every device that disappears.
     *
     * @return how many devices were deleted
     */
    @Transactional(propagation = Propagation.MANDATORY)
    public int deleteAll(ChangeSource source) {
        List<UUID> ids = devices.ids(context().userId());
        ids.forEach(id -> {
            try {
                delete(id, null, source);
            } catch (DeviceNotFound e) {
                // deleted by a concurrent request meanwhile: its own event says so
            }
        });
        return ids.size();
    }

    /**
     * Sets one or more property values atomically: one invalid value and nothing is written. Values are
     * JSON: booleans for boolean properties, integers for integer ones, numbers for floats, one of the
     * allowed strings for strings, and {@code true} to trigger an event.
     *
     * @throws InvalidPropertyValue for an unknown property or a value its rules refuse
     */
        public Device setProperties(UUID id, Map<String, JsonNode> values, Long expectedVersion, ChangeSource source) {
        return apply(id, expectedVersion, source, device -> Request.of(values));
    }

    /**
     * Read-modify-write under the device's row lock: {@code change} sees the current device and returns the
     * values to set, so toggles and relative adjustments (Alexa's AdjustBrightness) cannot lose updates.
     */
        public Device changeProperties(UUID id, ChangeSource source, Function<Device, Map<String, JsonNode>> change) {
        return apply(id, null, source, device -> Request.of(change.apply(device)));
    }

    /**
     * {@link #changeProperties} for the device Alexa knows by this endpoint id: one lock-and-read by the
     * endpoint id instead of a look-up followed by the change, so a directive costs the same round trips as
     * a REST change. Another user's endpoint id is {@link DeviceNotFound}, like an unknown one.
     */
        public Device changePropertiesByAlexaEndpointId(String endpointId, ChangeSource source,
            Function<Device, Map<String, JsonNode>> change) {
        Optional<Device> done = states.byAlexaEndpointId(context().userId(), endpointId)
                .flatMap(known -> applyAtVersion(known, source, device -> Request.of(change.apply(device))));
        if (done.isPresent()) {
            return done.get();
        }
        return lockedChange.execute(status -> {
            DeviceRepository.Locked locked =
                    devices.lockAndFindByAlexaEndpointId(endpointId).orElseThrow(DeviceNotFound::new);
            return apply(locked, source, Request.of(change.apply(locked.device())));
        });
    }

    /** {@link #changeProperties} for callers in this module that may ask for a pulse. */
        Device change(UUID id, ChangeSource source, Function<Device, Request> change) {
        return apply(id, null, source, change);
    }

    /**
     * Pulses a contact or motion sensor, momentary or not: DETECTED now (a fresh NOT_DETECTED-then-DETECTED
     * edge if it is DETECTED already), NOT_DETECTED {@link Device#pulseSeconds()} later. Other types: 400.
     *
     * @return the device as the pulse left it (DETECTED, {@link Device#pulseResetAt()} set)
     */
    @Transactional(label = TenantScopedTransactionManager.CONTEXT_IN_FIRST_STATEMENT)
    public Device pulse(UUID id, ChangeSource source) {
        return apply(id, null, source, device -> {
            DeviceType.Detection detection = device.type().detection().orElseThrow(() -> ApiProblem.badRequest(
                    "Only contact and motion sensors can pulse; this device is a " + device.type().code() + "."));
            return new Request(Map.of(detection.property(), JsonNodeFactory.instance.stringNode(detection.detected())),
                    true);
        });
    }

    /**
     * The {@code devices.pulse-reset} task's work: ends the pulse that was due at {@code due} with a change to
     * NOT_DETECTED (source {@code system}), if that pulse is still the one under way. Idempotent: a reset that
     * runs again, or after the sensor was set NOT_DETECTED or pulsed anew, changes nothing.
     *
     * @return null when there is nothing more to do, or the time to try again (the database's clock has not
     *     reached {@code due} yet)
     */
    @Transactional(label = TenantScopedTransactionManager.CONTEXT_IN_FIRST_STATEMENT)
    Instant finishPulse(UUID id, Instant due) {
        Optional<DeviceRepository.Locked> found = devices.lockAndFind(id);
        if (found.isEmpty()) {
            return null; // deleted
        }
        DeviceRepository.Locked locked = found.get();
        Device current = locked.device();
        Instant resetAt = current.pulseResetAt();
        if (resetAt == null || !resetAt.equals(due)) {
            return null; // ended already, or superseded by a newer pulse with a reset of its own
        }
        if (resetAt.isAfter(locked.now())) {
            return resetAt;
        }
        Optional<DeviceType.Detection> detection = current.type().detection();
        if (detection.isEmpty() || !detection.get().detected().equals(current.value(detection.get().property()))) {
            devices.clearPulseReset(id);
            return null;
        }
        apply(locked, ChangeSource.SYSTEM, Request.of(Map.of(detection.get().property(),
                JsonNodeFactory.instance.stringNode(detection.get().idle()))));
        return null;
    }

    /**
     * Sets one property from text (a form field), read as the property's type ({@code on}/{@code off},
     * numbers, one of the allowed strings) under the device's row lock; otherwise as {@link #setProperties}.
     */
        public Device setFromText(UUID id, String property, String text, Long expectedVersion, ChangeSource source) {
        return apply(id, expectedVersion, source, device -> {
            DeviceProperty rules = device.properties().get(property);
            if (rules == null) {
                throw new InvalidPropertyValue(property, Reason.UNKNOWN_PROPERTY,
                        "this " + device.type().code() + " has no such property.");
            }
            return Request.of(Map.of(property, PropertyValues.fromText(property, rules.dataType(), text)));
        });
    }

    /** Presses a doorbell: its {@code press} event takes the current time. Other types: 400. */
    @Transactional(label = TenantScopedTransactionManager.CONTEXT_IN_FIRST_STATEMENT)
    public Device press(UUID id, ChangeSource source) {
        return apply(id, null, source, device -> {
            if (device.type() != DeviceType.DOORBELL) {
                throw ApiProblem.badRequest("Only doorbells can be pressed; this device is a "
                        + device.type().code() + ".");
            }
            return Request.of(Map.of("press", JsonNodeFactory.instance.booleanNode(true)));
        });
    }

    /** Flips a boolean property (a switch's or dimmer's {@code power}). */
        public Device toggle(UUID id, String property, ChangeSource source) {
        return apply(id, null, source, device -> {
            DeviceProperty p = device.properties().get(property);
            if (p == null) {
                throw new InvalidPropertyValue(property, Reason.UNKNOWN_PROPERTY,
                        "this " + device.type().code() + " has no such property.");
            }
            if (p.dataType() != PropertyDataType.BOOLEAN) {
                throw new InvalidPropertyValue(property, Reason.NOT_SUPPORTED, "only on/off properties can be toggled.");
            }
            return Request.of(Map.of(property, JsonNodeFactory.instance.booleanNode(!Boolean.TRUE.equals(p.value()))));
        });
    }

    private Device apply(UUID id, Long expectedVersion, ChangeSource source, Function<Device, Request> change) {
        Optional<Device> done = states.get(context().userId(), id)
                .filter(known -> expectedVersion == null || expectedVersion == known.version())
                .flatMap(known -> applyAtVersion(known, source, change));
        if (done.isPresent()) {
            return done.get();
        }
        return lockedChange.execute(status -> {
            DeviceRepository.Locked locked = lockAndGet(id, expectedVersion);
            return apply(locked, source, change.apply(locked.device()));
        });
    }

    /**
     * The change computed from the device's last known state and written in one statement if the device is
     * still at that version (docs/decisions.md, "The write path in one round trip"). Empty, with nothing
     * written, when the guess cannot be used: the device changed meanwhile or is gone; the change would
     * change nothing, or is refused, on the remembered state (the locked path decides, on the current one);
     * the device is a contact or motion sensor (pulses) or the change sets an event (its value is the
     * transaction's time).
     */
    private Optional<Device> applyAtVersion(Device known, ChangeSource source, Function<Device, Request> change) {
        if (known.type().detection().isPresent()) {
            return Optional.empty();
        }
        Plan plan;
        try {
            plan = plan(known, change.apply(known), null);
        } catch (RuntimeException refused) {
            return Optional.empty();
        }
        if (plan == null || plan.stored().isEmpty() || plan.event()) {
            return Optional.empty();
        }
        TenantContext owner = context();
        ActivityLog.Entry entry = activityEntry(known, source, plan.changes(), false);
        DeviceRepository.AtVersion result = devices.applyStateChangeAtVersion(owner, known, plan.stored(),
                source, Kind.PROPERTY_CHANGED, plan.changes(), entry, known.pulseResetAt());
        Optional<DeviceRepository.Applied> applied = result.applied();
        if (applied.isPresent()) {
            oneStatement.increment();
            published(owner, applied.get(), Kind.PROPERTY_CHANGED, source, plan.changes());
        } else if (result.contextBound()) {
            guessedWrong.increment();
            states.forget(owner.userId(), known.id());
        } else {
            // safe (row-level security hid the device, nothing was written) but every change pays a wasted round trip
            contextLost.increment();
            if (contextLostLogged.compareAndSet(false, true)) {
                log.warn("a one-statement change of device {} ran without its tenant context: the driver ended the"
                        + " implicit transaction after the context statement; such changes take the locked path"
                        + " (virtdevice.device.changes.context.lost counts them)", known.id());
            }
        }
        return applied.map(DeviceRepository.Applied::device);
    }

    /**
     * What a request writes: the stored form of each value that changes, and the changes. Every value is
     * validated before anything is written, so a bad one leaves the device untouched. {@code now} is the
     * value an event property takes (null: the request must not set one, see applyAtVersion).
     */
    private record Plan(Map<String, String> stored, Map<String, Object> requested, List<Change> changes,
            boolean event) {}

    private static Plan plan(Device current, Request request, Instant now) {
        Map<String, JsonNode> values = request == null ? null : request.values();
        if (values == null || values.isEmpty()) {
            throw ApiProblem.badRequest("Name at least one property to set.");
        }
        Map<String, String> stored = new LinkedHashMap<>();
        Map<String, Object> requested = new LinkedHashMap<>();
        List<Change> changes = new ArrayList<>();
        boolean event = false;
        for (Map.Entry<String, JsonNode> entry : values.entrySet()) {
            String name = entry.getKey();
            DeviceProperty rules = current.properties().get(name);
            if (rules == null) {
                throw new InvalidPropertyValue(name, Reason.UNKNOWN_PROPERTY,
                        "a " + current.type().code() + " has no such property (it has "
                                + String.join(", ", current.properties().keySet()) + ").");
            }
            if (now == null && rules.dataType() == PropertyDataType.EVENT) {
                return null;
            }
            String value = PropertyValues.toStored(name, rules, entry.getValue(), now);
            Object typed = PropertyValues.typed(rules.dataType(), value);
            requested.put(name, typed);
            // An event is news every time; other values only when they differ.
            if (rules.dataType() == PropertyDataType.EVENT || !Objects.equals(rules.value(), typed)) {
                stored.put(name, value);
                changes.add(new Change(name, rules.value(), typed));
                event |= rules.dataType() == PropertyDataType.EVENT;
            }
        }
        return new Plan(stored, requested, changes, event);
    }

    private Device apply(DeviceRepository.Locked locked, ChangeSource source, Request request) {
        Device current = locked.device();
        Plan plan = plan(current, request, locked.now());
        Map<String, String> stored = plan.stored();
        Map<String, Object> requested = plan.requested();
        List<Change> changes = plan.changes();
        boolean event = plan.event();
        // Pulses: setting DETECTED starts one (always on a momentary sensor, else when asked for), setting
        // NOT_DETECTED ends the one under way; anything else leaves a pending reset as it is.
        Instant resetAt = current.pulseResetAt();
        boolean pulse = false;
        Optional<DeviceType.Detection> detection = current.type().detection();
        if (detection.isPresent() && requested.containsKey(detection.get().property())) {
            DeviceType.Detection d = detection.get();
            if (d.detected().equals(requested.get(d.property()))) {
                pulse = request.pulse() || current.momentary();
            } else {
                resetAt = null;
            }
        }
        TenantContext owner = context();
        if (pulse) {
            resetAt = locked.now().plusSeconds(current.pulseSeconds());
            if (!stored.containsKey(detection.get().property())) {
                // still DETECTED: end this pulse now, so the new one is a fresh edge (Alexa ignores
                // DETECTED -> DETECTED)
                DeviceType.Detection d = detection.get();
                Device idle = write(owner, locked, Map.of(d.property(), d.idle()),
                        List.of(new Change(d.property(), d.detected(), d.idle())), ChangeSource.SYSTEM, false, null);
                locked = new DeviceRepository.Locked(idle, locked.now());
                stored.put(d.property(), d.detected());
                changes.add(new Change(d.property(), d.idle(), d.detected()));
            }
        }
        if (stored.isEmpty()) {
            return current;
        }
        Device device = write(owner, locked, stored, changes, source, event, resetAt);
        if (pulse) {
            pulses.schedule(owner, device.id(), resetAt);
        }
        return device;
    }

    /** Writes one state change (one version, event and activity entry) and publishes its event. */
    private Device write(TenantContext owner, DeviceRepository.Locked locked, Map<String, String> stored,
            List<Change> changes, ChangeSource source, boolean event, Instant pulseResetAt) {
        Device current = locked.device();
        Kind kind = event ? Kind.DOORBELL_PRESSED : Kind.PROPERTY_CHANGED;
        ActivityLog.Entry entry = activityEntry(current, source, changes, event);
        DeviceRepository.Applied applied =
                devices.applyStateChange(owner, locked, stored, source, kind, changes, entry, pulseResetAt);
        this.locked.increment();
        return published(owner, applied, kind, source, changes);
    }

    /** A change's activity entry: one Alexa or IFTTT asked for is logged as the command it was. */
    private ActivityLog.Entry activityEntry(Device current, ChangeSource source, List<Change> changes, boolean event) {
        ActivityAction action = event ? ActivityAction.DOORBELL_PRESSED
                : source == ChangeSource.ALEXA ? ActivityAction.ALEXA_COMMAND
                : source == ChangeSource.IFTTT ? ActivityAction.IFTTT_ACTION : ActivityAction.PROPERTY_CHANGED;
        return activity.entry(action, source.code(), current.id(), Map.of("name", current.name(), "changes", changes));
    }

    /** Publishes a written change's event and remembers the device's new state once it commits. */
    private Device published(TenantContext owner, DeviceRepository.Applied applied, Kind kind, ChangeSource source,
            List<Change> changes) {
        Device device = applied.device();
        publisher.publishEvent(changed(owner, device, kind, source, device.version(), changes, applied.event()));
        states.changed(owner.userId(), device);
        return device;
    }

    /** The pulse options are for contact and motion sensors, and a pulse lasts 1 to 3600 seconds. */
    private static void checkPulseOptions(DeviceType type, Boolean momentary, Integer pulseSeconds) {
        if (type.detection().isEmpty()) {
            if (Boolean.TRUE.equals(momentary)) {
                throw ApiProblem.invalidField("momentary", "only contact and motion sensors can be momentary.");
            }
            if (pulseSeconds != null) {
                throw ApiProblem.invalidField("pulseSeconds", "only contact and motion sensors pulse.");
            }
        }
        if (pulseSeconds != null && (pulseSeconds < 1 || pulseSeconds > PULSE_SECONDS_MAX)) {
            throw ApiProblem.invalidField("pulseSeconds", "must be a whole number of seconds from 1 to "
                    + PULSE_SECONDS_MAX + ".");
        }
    }

    private DeviceRepository.Locked lockAndGet(UUID id, Long expectedVersion) {
        DeviceRepository.Locked locked = devices.lockAndFind(id).orElseThrow(DeviceNotFound::new);
        if (expectedVersion != null && expectedVersion != locked.device().version()) {
            throw new DeviceVersionMismatch(locked.device().version());
        }
        return locked;
    }

    /** Appends the device_events row; the Spring event is published last, once everything is written. */
    private DeviceStateChanged store(Device device, Kind kind, ChangeSource source, long version,
            List<Change> changes, Map<String, Object> snapshot) {
        TenantContext owner = context();
        DeviceEventRepository.Stored stored =
                events.insert(owner, device, kind, source, version, changes, snapshot);
        return changed(owner, device, kind, source, version, changes, stored);
    }

    private static DeviceStateChanged changed(TenantContext owner, Device device, Kind kind, ChangeSource source,
            long version, List<Change> changes, DeviceEventRepository.Stored stored) {
        return new DeviceStateChanged(owner.tenantId(), owner.userId(), device.id(), device.type(), stored.id(), kind,
                source, version, changes, stored.occurredAt(),
                new DeviceStateChanged.Row(stored.seq(), device.name(), device.alexaEndpointId(),
                        device.iftttDeviceId(), stored.changes(), stored.snapshot()));
    }

    private static void addIfChanged(List<Change> changes, String field, Object before, Object after) {
        if (!Objects.equals(before, after)) {
            changes.add(new Change(field, before, after));
        }
    }

    private static RuntimeException translate(DataAccessException e, String name) {
        Optional<DatabaseErrors> error = DatabaseErrors.of(e);
        if (error.isPresent() && "VD001".equals(error.get().sqlState())) {
            return DeviceLimitReached.fromDetail(error.get().detail());
        }
        if (DatabaseErrors.violates(e, "devices_user_name_key")) {
            return new DeviceNameTaken(name);
        }
        return e;
    }

    private static TenantContext context() {
        return TenantScope.current().orElseThrow(() -> new IllegalStateException("devices need a tenant context"));
    }
}
