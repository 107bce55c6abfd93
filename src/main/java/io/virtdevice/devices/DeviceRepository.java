package io.virtdevice.devices;

import io.virtdevice.activity.ActivityLog;
import io.virtdevice.platform.tenancy.TenantContext;
import io.virtdevice.platform.tenancy.TenantScopedTransactionManager;
import io.virtdevice.platform.web.KeysetCursor;
import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcOperations;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/** Devices and their property rows. Row-level security limits every statement to the context user's rows. */
@Component
class DeviceRepository {

    private static final String INSERT_DEVICE = """
            insert into devices (tenant_id, user_id, name, friendly_name, device_type, description, model,
                                 alexa_display_categories, momentary, pulse_seconds)
            values (:tenant, :user, :name, :friendlyName, :type, :description, :model, cast(:categories as text[]),
                    :momentary, :pulseSeconds)
            returning id
            """;

    private static final String INSERT_PROPERTY = """
            insert into device_properties (tenant_id, user_id, device_id, name, value, data_type, min_value,
                                           max_value, allowed_values, unit, alexa_interface, alexa_property_name,
                                           last_changed_by)
            values (:tenant, :user, :device, :name, :value, cast(:dataType as property_data_type),
                    cast(:min as numeric), cast(:max as numeric), cast(:allowed as text[]), :unit,
                    :alexaInterface, :alexaPropertyName, :source)
            """;

    // The columns the row mapper (deviceRow) reads, in one place: every query mapped by it selects them (two
    // queries that listed them apart from each other lost the momentary-sensor columns in a merge).
    private static final String DEVICE_COLUMNS = """
            id, name, friendly_name, device_type, description, alexa_endpoint_id, ifttt_device_id, is_online, \
            momentary, pulse_seconds, pulse_reset_at, version, created_at, updated_at, last_state_change""";

    private static final String FIND_DEVICE = "select " + DEVICE_COLUMNS + """
              from devices
             where id = :id
            """;

    private static final String FIND_DEVICES = "select " + DEVICE_COLUMNS + """
              from devices
             where id = any (cast(cast(:ids as text[]) as uuid[]))
            """;

    // RLS makes another user's endpoint id indistinguishable from an unknown one.
    private static final String FIND_BY_ALEXA_ENDPOINT = "select " + DEVICE_COLUMNS + """
              from devices
             where alexa_endpoint_id = :endpointId
            """;

    // RLS makes another user's IFTTT device id indistinguishable from an unknown one.
    private static final String FIND_BY_IFTTT_DEVICE = "select " + DEVICE_COLUMNS + """
              from devices
             where ifttt_device_id = :iftttDeviceId
            """;

    // identity only, no properties: one statement (an IFTTT trigger poll checks its device with it). "=", not
    // "= any": the generic plan of "= any ($1)" guesses 10 rows and scans a small table with its RLS filter
    private static final String REF_BY_IFTTT_DEVICE = """
            select id, name, device_type, ifttt_device_id
              from devices
             where ifttt_device_id = :iftttDeviceId
            """;

    private static final String REFS_BY_IFTTT_DEVICE = """
            select id, name, device_type, ifttt_device_id
              from devices
             where ifttt_device_id = any (cast(:iftttDeviceIds as text[]))
            """;

    // user_id repeats what RLS enforces so the planner can use devices_user_list_idx (D-16).
    private static final String PAGE = "select " + DEVICE_COLUMNS + """
              from devices
             where user_id = :user
               and (cast(:type as text) is null or device_type = cast(:type as text))
               and (cast(:afterAt as timestamptz) is null
                    or (created_at, id) > (cast(:afterAt as timestamptz), cast(:afterId as uuid)))
             order by created_at, id
             limit :limit
            """;

    private static final String FIND_PROPERTIES = """
            select device_id, name, value, data_type::text as data_type, min_value, max_value, allowed_values,
                   unit, alexa_interface, alexa_property_name, last_changed_by, last_changed_at
              from device_properties
             where device_id in (:ids)
            """;

    // The row lock serialises every change to one device, so versions and events stay in order. One round
    // trip: a row per property, each repeating the device's columns (a device has at most a few properties).
    private static final String LOCK_AND_FIND = """
            select d.id, d.name, d.friendly_name, d.device_type, d.description, d.alexa_endpoint_id,
                   d.ifttt_device_id, d.is_online, d.momentary, d.pulse_seconds, d.pulse_reset_at, d.version,
                   d.created_at, d.updated_at, d.last_state_change,
                   now() as tx_now,
                   p.device_id, p.name as property_name, p.value, p.data_type::text as data_type, p.min_value,
                   p.max_value, p.allowed_values, p.unit, p.alexa_interface, p.alexa_property_name,
                   p.last_changed_by, p.last_changed_at
              from devices d
              left join device_properties p on p.device_id = d.id
             where %s
               for update of d
            """;

    private static final String FIND_DEVICE_FOR_UPDATE = LOCK_AND_FIND.formatted("d.id = :id");

    // RLS makes another user's endpoint id indistinguishable from an unknown one, as in FIND_BY_ALEXA_ENDPOINT.
    private static final String FIND_BY_ALEXA_ENDPOINT_FOR_UPDATE =
            LOCK_AND_FIND.formatted("d.alexa_endpoint_id = :endpointId");

    // The end of both state-change statements below, after their CTE "bumped" (the new version): the change's
    // device_events row (which is also the outbox entry) and its activity entry (the activity module's SQL, %s).
    private static final String EVENT_AND_ACTIVITY = "\n" + """
            ), event as (
                insert into device_events (tenant_id, user_id, device_id, device_name, device_type, alexa_endpoint_id,
                                           ifttt_device_id, kind, source, device_version, changes, snapshot)
                select :tenant, :user, :device, :name, :type, :alexaEndpointId, :iftttDeviceId, :kind, :source,
                       b.version, cast(:changes as jsonb), cast(:snapshot as jsonb)
                  from bumped b
                returning id, occurred_at, seq
            ), activity as (
                %s
            )
            """;

    // One round trip for the whole state change: every property row, the version bump, the change's
    // device_events row and its activity entry.
    private static final String APPLY_STATE_CHANGE = """
            with changed as (
                update device_properties p
                   set value = v.value, last_changed_by = :source, last_changed_at = now()
                  from unnest(cast(:names as text[]), cast(:values as text[])) as v (name, value)
                 where p.device_id = :device and p.name = v.name
            ), bumped as (
                update devices set version = version + 1, last_state_change = now(),
                                   pulse_reset_at = cast(:pulseResetAt as timestamptz)
                 where id = :device
                returning version, updated_at
            """ + EVENT_AND_ACTIVITY + """
            select b.version, b.updated_at, e.id as event_id, e.occurred_at, e.seq
              from bumped b, event e
            """;

    // The same change in one statement without a locked read before it (DeviceStates): the device row is
    // locked by the version bump, and only if the version is still the one the change was computed from;
    // otherwise nothing is written (the row that comes back has no version) and the caller takes the locked
    // path. Every other write is joined to that bump, so it happens exactly when the bump does. Sent right after
    // the context statement, in one round trip; without a caller's transaction the two are the whole
    // transaction. One row always comes back, saying whether the context was bound (it is not if the driver
    // ended the implicit transaction between the two: then row-level security hid the device), and only
    // fixed-size columns, so that the driver has no reason to (TenantScopedTransactionManager.CONTEXT_STATEMENT).
    private static final String APPLY_STATE_CHANGE_AT_VERSION = """
            with bumped as (
                update devices set version = version + 1, last_state_change = now(),
                                   pulse_reset_at = cast(:pulseResetAt as timestamptz)
                 where id = :device and version = :expectedVersion
                returning version, updated_at, now() as tx_now
            ), changed as (
                update device_properties p
                   set value = v.value, last_changed_by = :source, last_changed_at = now()
                  from bumped, unnest(cast(:names as text[]), cast(:values as text[])) as v (name, value)
                 where p.device_id = :device and p.name = v.name
            """ + EVENT_AND_ACTIVITY + """
            select b.version, b.updated_at, b.tx_now, e.id as event_id, e.occurred_at, e.seq,
                   coalesce(current_setting('app.current_user_id', true), '') <> '' as context_bound
              from (values (1)) as one (n) left join (bumped b cross join event e) on true
            """;

    private static final String UPDATE_DETAILS = """
            update devices
               set name = :name, friendly_name = :friendlyName, description = :description, is_online = :online,
                   momentary = :momentary, pulse_seconds = :pulseSeconds, version = version + 1
             where id = :id
            """;

    // a pulse's reset found the sensor idle already (nothing to change): only the pending reset goes
    private static final String CLEAR_PULSE_RESET = """
            update devices set pulse_reset_at = null where id = :id
            """;

    private static final String IDS = """
            select id from devices where user_id = :user order by created_at, id
            """;

    private static final String DELETE = """
            delete from devices where id = :id
            """;

    private final JdbcClient jdbc;
    private final NamedParameterJdbcOperations named;
    private final JsonMapper json;

    DeviceRepository(JdbcClient jdbc, NamedParameterJdbcOperations named, JsonMapper json) {
        this.jdbc = jdbc;
        this.named = named;
        this.json = json;
    }

    UUID insert(TenantContext owner, String name, String friendlyName, DeviceType type, String description,
            boolean momentary, int pulseSeconds) {
        return jdbc.sql(INSERT_DEVICE)
                .param("tenant", owner.tenantId())
                .param("user", owner.userId())
                .param("name", name)
                .param("friendlyName", friendlyName)
                .param("type", type.code())
                .param("description", description)
                .param("model", type.model())
                .param("categories", new String[] {type.alexaDisplayCategory()})
                .param("momentary", momentary)
                .param("pulseSeconds", pulseSeconds)
                .query(UUID.class)
                .single();
    }

    void insertProperty(TenantContext owner, UUID deviceId, PropertyTemplate template, ChangeSource source) {
        jdbc.sql(INSERT_PROPERTY)
                .param("tenant", owner.tenantId())
                .param("user", owner.userId())
                .param("device", deviceId)
                .param("name", template.name())
                .param("value", template.defaultValue())
                .param("dataType", template.dataType().code())
                .param("min", template.min())
                .param("max", template.max())
                .param("allowed", template.allowedValues() == null ? null : template.allowedValues().toArray(String[]::new))
                .param("unit", template.unit())
                .param("alexaInterface", template.alexaInterface())
                .param("alexaPropertyName", template.alexaPropertyName())
                .param("source", source.code())
                .update();
    }

    Optional<Device> find(UUID id) {
        return jdbc.sql(FIND_DEVICE).param("id", id).query(this::deviceRow).optional()
                .map(row -> assemble(List.of(row)).get(0));
    }

    List<Device> findAll(java.util.Collection<UUID> ids) {
        if (ids.isEmpty()) {
            return List.of();
        }
        List<Row> rows = jdbc.sql(FIND_DEVICES).param("ids", ids.stream().map(UUID::toString).toArray(String[]::new))
                .query(this::deviceRow).list();
        return rows.isEmpty() ? List.of() : assemble(rows);
    }

    Optional<Device> findByAlexaEndpointId(String endpointId) {
        return jdbc.sql(FIND_BY_ALEXA_ENDPOINT).param("endpointId", endpointId).query(this::deviceRow).optional()
                .map(row -> assemble(List.of(row)).get(0));
    }

    Optional<Device> findByIftttDeviceId(String iftttDeviceId) {
        return jdbc.sql(FIND_BY_IFTTT_DEVICE).param("iftttDeviceId", iftttDeviceId).query(this::deviceRow).optional()
                .map(row -> assemble(List.of(row)).get(0));
    }

    Optional<DeviceRef> refByIftttDeviceId(String iftttDeviceId) {
        return jdbc.sql(REF_BY_IFTTT_DEVICE).param("iftttDeviceId", iftttDeviceId).query(DeviceRepository::ref)
                .optional();
    }

    List<DeviceRef> refsByIftttDeviceId(java.util.Collection<String> iftttDeviceIds) {
        if (iftttDeviceIds.isEmpty()) {
            return List.of();
        }
        return jdbc.sql(REFS_BY_IFTTT_DEVICE).param("iftttDeviceIds", iftttDeviceIds.toArray(String[]::new))
                .query(DeviceRepository::ref).list();
    }

    private static DeviceRef ref(ResultSet rs, int i) throws SQLException {
        return new DeviceRef(rs.getObject("id", UUID.class), rs.getString("name"),
                DeviceType.fromCode(rs.getString("device_type")).orElseThrow(), rs.getString("ifttt_device_id"));
    }

    /** The devices after the cursor in creation order, at most {@code limit}; optionally of one type. */
    List<Device> page(UUID userId, DeviceType type, KeysetCursor after, int limit) {
        List<Row> rows = jdbc.sql(PAGE)
                .param("user", userId)
                .param("type", type == null ? null : type.code())
                .param("afterAt", after == null ? null : OffsetDateTime.ofInstant(after.createdAt(), ZoneOffset.UTC))
                .param("afterId", after == null ? null : after.id())
                .param("limit", limit)
                .query(this::deviceRow)
                .list();
        return assemble(rows);
    }

    /** A device read under its row lock, with the transaction's time (what now() writes in this transaction). */
    record Locked(Device device, Instant now) {}

    /** Locks the device row for the rest of the transaction and reads it; empty if it is not the user's. */
    Optional<Locked> lockAndFind(UUID id) {
        return lockAndFind(FIND_DEVICE_FOR_UPDATE, Map.of("id", id));
    }

    /** {@link #lockAndFind(UUID)} by the device's Alexa endpoint id. */
    Optional<Locked> lockAndFindByAlexaEndpointId(String endpointId) {
        return lockAndFind(FIND_BY_ALEXA_ENDPOINT_FOR_UPDATE, Map.of("endpointId", endpointId));
    }

    // The context statement goes first, in the same round trip (a change's transaction is labelled
    // CONTEXT_IN_FIRST_STATEMENT; in any other transaction it binds the context it already has again).
    private Optional<Locked> lockAndFind(String sql, Map<String, Object> params) {
        Instant[] now = new Instant[1];
        Row[] device = new Row[1];
        List<PropertyRow> properties = afterContext(sql, params, (rs, i) -> {
                    if (i == 0) {
                        now[0] = instant(rs, "tx_now");
                        device[0] = deviceRow(rs, i);
                    }
                    return rs.getObject("device_id") == null ? null : propertyRow(rs, "property_name");
                });
        if (device[0] == null) {
            return Optional.empty();
        }
        List<PropertyRow> present = properties.stream().filter(Objects::nonNull).toList();
        return Optional.of(new Locked(assemble(device[0], present), now[0]));
    }

    /** A state change as written: the device as it now is, and its {@code device_events} row. */
    record Applied(Device device, DeviceEventRepository.Stored event) {}

    /**
     * Writes new stored values, bumps the version and appends the change's {@code device_events} row and its
     * activity entry in one statement, and returns the device as it now is, built from the locked copy
     * instead of being read again.
     */
    Applied applyStateChange(TenantContext owner, Locked locked, Map<String, String> stored, ChangeSource source,
            DeviceStateChanged.Kind kind, List<DeviceStateChanged.Change> changes, ActivityLog.Entry activity,
            Instant pulseResetAt) {
        Map<String, DeviceProperty> after = after(locked.device(), stored, source, locked.now());
        Map<String, Object> params = stateChangeParams(owner, locked.device(), after, stored, source, kind, changes,
                activity, pulseResetAt);
        Object[] result = jdbc.sql(APPLY_STATE_CHANGE.formatted(activity.sql()))
                .params(params)
                .query((rs, i) -> new Object[] {rs.getLong("version"), instant(rs, "updated_at"),
                        DeviceEventRepository.stored(rs, "event_id", (String) params.get("changes"),
                                (String) params.get("snapshot"))})
                .single();
        return applied(locked.device(), after, pulseResetAt, (Long) result[0], (Instant) result[1], locked.now(),
                (DeviceEventRepository.Stored) result[2]);
    }

    /**
     * What {@link #applyStateChangeAtVersion} did: the change as written, or nothing; and whether the tenant
     * context was bound when the write ran (if not, nothing was written because row-level security hid the
     * device: the driver split the round trip, see {@link TenantScopedTransactionManager#CONTEXT_STATEMENT}).
     */
    record AtVersion(Optional<Applied> applied, boolean contextBound) {}

    /**
     * {@link #applyStateChange} without a locked read: the change was computed from {@code current}, a copy
     * of the device at its version, and is written in the transaction's first statement (with the context)
     * only if the device is still at that version. Nothing is written when it is not (changed meanwhile,
     * deleted, or not the context user's), and the caller locks and reads the device instead.
     */
    AtVersion applyStateChangeAtVersion(TenantContext owner, Device current, Map<String, String> stored,
            ChangeSource source, DeviceStateChanged.Kind kind, List<DeviceStateChanged.Change> changes,
            ActivityLog.Entry activity, Instant pulseResetAt) {
        // the stored values as the locked path would return them, the time filled in from the statement
        Map<String, Object> params = stateChangeParams(owner, current, after(current, stored, source, null), stored,
                source, kind, changes, activity, pulseResetAt);
        params.put("expectedVersion", current.version());
        return afterContext(APPLY_STATE_CHANGE_AT_VERSION.formatted(activity.sqlFrom("bumped")), params, (rs, i) -> {
            if (rs.getObject("version") == null) {
                return new AtVersion(Optional.empty(), rs.getBoolean("context_bound"));
            }
            Instant now = instant(rs, "tx_now");
            return new AtVersion(Optional.of(applied(current, after(current, stored, source, now), pulseResetAt,
                    rs.getLong("version"), instant(rs, "updated_at"), now, DeviceEventRepository.stored(rs, "event_id",
                            (String) params.get("changes"), (String) params.get("snapshot")))), true);
        }).getFirst();
    }

    private Map<String, Object> stateChangeParams(TenantContext owner, Device current, Map<String, DeviceProperty> after,
            Map<String, String> stored, ChangeSource source, DeviceStateChanged.Kind kind,
            List<DeviceStateChanged.Change> changes, ActivityLog.Entry activity, Instant pulseResetAt) {
        Map<String, Object> params = new HashMap<>(activity.params());
        params.put("tenant", owner.tenantId());
        params.put("user", owner.userId());
        params.put("device", current.id());
        params.put("name", current.name());
        params.put("type", current.type().code());
        params.put("alexaEndpointId", current.alexaEndpointId());
        params.put("iftttDeviceId", current.iftttDeviceId());
        params.put("kind", kind.code());
        params.put("names", stored.keySet().toArray(String[]::new));
        params.put("values", stored.values().toArray(String[]::new));
        params.put("source", source.code());
        params.put("changes", jsonbText(changes));
        params.put("snapshot", jsonbText(Device.snapshot(after)));
        params.put("pulseResetAt", pulseResetAt == null ? null : OffsetDateTime.ofInstant(pulseResetAt, ZoneOffset.UTC));
        return params;
    }

    // jsonb's order of object keys: shorter first, then bytewise
    private static final Comparator<String> JSONB_KEY_ORDER =
            Comparator.<String>comparingInt(k -> k.getBytes(java.nio.charset.StandardCharsets.UTF_8).length)
                    .thenComparing((a, b) -> Arrays.compareUnsigned(a.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                            b.getBytes(java.nio.charset.StandardCharsets.UTF_8)));

    /**
     * JSON with its object keys in the order jsonb prints them back. The state-change statements no longer
     * return the stored JSON as text (DeviceEventRepository.stored), so the event handed to this instance's
     * live streams is built from this text; in jsonb's key order it is byte for byte what a stream resumed from
     * {@code device_events} sends for the same event (values are Jackson's either way: streams re-read them).
     */
    private String jsonbText(Object value) {
        return json.writeValueAsString(jsonbOrder(json.valueToTree(value)));
    }

    private static JsonNode jsonbOrder(JsonNode node) {
        if (node.isObject()) {
            ObjectNode sorted = JsonNodeFactory.instance.objectNode();
            node.properties().stream().sorted(Map.Entry.comparingByKey(JSONB_KEY_ORDER))
                    .forEach(e -> sorted.set(e.getKey(), jsonbOrder(e.getValue())));
            return sorted;
        }
        if (node.isArray()) {
            ArrayNode array = JsonNodeFactory.instance.arrayNode();
            node.forEach(e -> array.add(jsonbOrder(e)));
            return array;
        }
        return node;
    }

    /** The properties after writing {@code stored} (changed at {@code now}), display units applied. */
    private static Map<String, DeviceProperty> after(Device current, Map<String, String> stored, ChangeSource source,
            Instant now) {
        Map<String, DeviceProperty> properties = new LinkedHashMap<>();
        current.properties().forEach((name, p) -> properties.put(name, stored.containsKey(name)
                ? new DeviceProperty(PropertyValues.typed(p.dataType(), stored.get(name)), p.dataType(), p.unit(),
                        p.min(), p.max(), p.allowedValues(), source.code(), now, p.alexaInterface(),
                        p.alexaPropertyName())
                : p));
        return withDisplayUnits(current.type(), properties);
    }

    private static Applied applied(Device current, Map<String, DeviceProperty> after, Instant pulseResetAt,
            long version, Instant updatedAt, Instant now, DeviceEventRepository.Stored event) {
        Device device = new Device(current.id(), current.name(), current.friendlyName(), current.type(),
                current.description(), current.alexaEndpointId(), current.iftttDeviceId(), current.online(),
                current.momentary(), current.pulseSeconds(), pulseResetAt, version, after, current.createdAt(),
                updatedAt, now);
        return new Applied(device, event);
    }

    /**
     * Runs {@code sql} as the statement after {@link TenantScopedTransactionManager#CONTEXT_STATEMENT}: both go
     * to the database in one round trip (one Sync), and PostgreSQL runs them in order. Outside a transaction
     * (auto-commit) the two are one implicit transaction, committed at the end of that round trip: the
     * context is set for it alone, and a failure of the second statement rolls back both. That holds only while
     * {@code sql} returns fixed-size columns: for one that returns text (the locked read) pgjdbc sends a Sync
     * between the two once the query is server-prepared, which inside a transaction costs a round trip and
     * nothing else ({@link TenantScopedTransactionManager#CONTEXT_STATEMENT}).
     */
    private <T> List<T> afterContext(String sql, Map<String, Object> params, RowMapper<T> rows) {
        Map<String, Object> all = new HashMap<>(params);
        all.putAll(TenantScopedTransactionManager.contextParams());
        boolean inTransaction = TransactionSynchronizationManager.isActualTransactionActive();
        return named.execute(TenantScopedTransactionManager.CONTEXT_STATEMENT + sql, all, ps -> {
            if (!inTransaction && !ps.getConnection().getAutoCommit()) {
                // would leave the change uncommitted on a pooled connection
                throw new IllegalStateException("a change outside a transaction needs an auto-commit connection");
            }
            ps.execute(); // the context statement's one row
            if (!ps.getMoreResults()) {
                throw new IllegalStateException("the statement after the context returned no rows");
            }
            List<T> list = new ArrayList<>();
            try (ResultSet rs = ps.getResultSet()) {
                while (rs.next()) {
                    list.add(rows.mapRow(rs, list.size()));
                }
            }
            return list;
        });
    }

    void updateDetails(UUID id, String name, String friendlyName, String description, boolean online,
            boolean momentary, int pulseSeconds) {
        jdbc.sql(UPDATE_DETAILS)
                .param("id", id)
                .param("name", name)
                .param("friendlyName", friendlyName)
                .param("description", description)
                .param("online", online)
                .param("momentary", momentary)
                .param("pulseSeconds", pulseSeconds)
                .update();
    }

    void clearPulseReset(UUID id) {
        jdbc.sql(CLEAR_PULSE_RESET).param("id", id).update();
    }

    /** The user's device ids, oldest first. */
    List<UUID> ids(UUID userId) {
        return jdbc.sql(IDS).param("user", userId).query(UUID.class).list();
    }

    int count(UUID userId) {
        return jdbc.sql("select count(*) from devices where user_id = :user").param("user", userId)
                .query(Integer.class).single();
    }

    void delete(UUID id) {
        jdbc.sql(DELETE).param("id", id).update();
    }

    private List<Device> assemble(List<Row> rows) {
        if (rows.isEmpty()) {
            return List.of();
        }
        Map<UUID, List<PropertyRow>> byDevice = properties(rows.stream().map(Row::id).toList());
        List<Device> devices = new ArrayList<>(rows.size());
        for (Row row : rows) {
            devices.add(assemble(row, byDevice.getOrDefault(row.id(), List.of())));
        }
        return devices;
    }

    private static Device assemble(Row row, List<PropertyRow> propertyRows) {
        List<PropertyRow> props = new ArrayList<>(propertyRows);
        props.sort(Comparator.comparingInt(p -> row.type().order(p.name())));
        Map<String, DeviceProperty> properties = new LinkedHashMap<>();
        props.forEach(p -> properties.put(p.name(), p.property()));
        return new Device(row.id(), row.name(), row.friendlyName(), row.type(), row.description(),
                row.alexaEndpointId(), row.iftttDeviceId(), row.online(), row.momentary(), row.pulseSeconds(),
                row.pulseResetAt(), row.version(),
                withDisplayUnits(row.type(), properties), row.createdAt(), row.updatedAt(), row.lastStateChange());
    }

    /** A measurement whose unit is another property (temperature) reports that property's value. */
    private static Map<String, DeviceProperty> withDisplayUnits(DeviceType type, Map<String, DeviceProperty> properties) {
        for (PropertyTemplate template : type.properties()) {
            DeviceProperty p = properties.get(template.name());
            if (template.unitProperty() != null && p != null) {
                Object unit = properties.containsKey(template.unitProperty())
                        ? properties.get(template.unitProperty()).value()
                        : null;
                properties.put(template.name(), p.withUnit(unit == null ? null : unit.toString()));
            }
        }
        return java.util.Collections.unmodifiableMap(properties);
    }

    private Map<UUID, List<PropertyRow>> properties(Collection<UUID> deviceIds) {
        return jdbc.sql(FIND_PROPERTIES)
                .param("ids", deviceIds)
                .query(this::propertyRow)
                .list()
                .stream()
                .collect(Collectors.groupingBy(PropertyRow::deviceId));
    }

    private Row deviceRow(ResultSet rs, int i) throws SQLException {
        return new Row(
                rs.getObject("id", UUID.class),
                rs.getString("name"),
                rs.getString("friendly_name"),
                DeviceType.fromCode(rs.getString("device_type")).orElseThrow(),
                rs.getString("description"),
                rs.getString("alexa_endpoint_id"),
                rs.getString("ifttt_device_id"),
                rs.getBoolean("is_online"),
                rs.getBoolean("momentary"),
                rs.getInt("pulse_seconds"),
                instant(rs, "pulse_reset_at"),
                rs.getLong("version"),
                instant(rs, "created_at"),
                instant(rs, "updated_at"),
                instant(rs, "last_state_change"));
    }

    private PropertyRow propertyRow(ResultSet rs, int i) throws SQLException {
        return propertyRow(rs, "name");
    }

    private static PropertyRow propertyRow(ResultSet rs, String nameColumn) throws SQLException {
        PropertyDataType type = PropertyDataType.fromCode(rs.getString("data_type"));
        Array allowed = rs.getArray("allowed_values");
        return new PropertyRow(
                rs.getObject("device_id", UUID.class),
                rs.getString(nameColumn),
                new DeviceProperty(
                        PropertyValues.typed(type, rs.getString("value")),
                        type,
                        rs.getString("unit"),
                        rs.getBigDecimal("min_value"),
                        rs.getBigDecimal("max_value"),
                        allowed == null ? null : List.copyOf(Arrays.asList((String[]) allowed.getArray())),
                        rs.getString("last_changed_by"),
                        instant(rs, "last_changed_at"),
                        rs.getString("alexa_interface"),
                        rs.getString("alexa_property_name")));
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }

    private record Row(UUID id, String name, String friendlyName, DeviceType type, String description,
            String alexaEndpointId, String iftttDeviceId, boolean online, boolean momentary, int pulseSeconds,
            Instant pulseResetAt, long version, Instant createdAt,
            Instant updatedAt, Instant lastStateChange) {}

    private record PropertyRow(UUID deviceId, String name, DeviceProperty property) {}
}
