package io.virtdevice.devices;

import io.virtdevice.platform.tenancy.TenantContext;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/** Devices and their property rows. Row-level security limits every statement to the context user's rows. */
@Component
class DeviceRepository {

    private static final String INSERT_DEVICE = """
            insert into devices (tenant_id, user_id, name, friendly_name, device_type, description, model,
                                 alexa_display_categories)
            values (:tenant, :user, :name, :friendlyName, :type, :description, :model, cast(:categories as text[]))
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

    private static final String FIND_DEVICE = """
            select id, name, friendly_name, device_type, description, alexa_endpoint_id, ifttt_device_id,
                   is_online, version, created_at, updated_at, last_state_change
              from devices
             where id = :id
            """;

    // user_id repeats what RLS enforces so the planner can use devices_user_list_idx (D-16).
    private static final String PAGE = """
            select id, name, friendly_name, device_type, description, alexa_endpoint_id, ifttt_device_id,
                   is_online, version, created_at, updated_at, last_state_change
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

    // The row lock serialises every change to one device, so versions and events stay in order.
    private static final String FIND_DEVICE_FOR_UPDATE = """
            select id, name, friendly_name, device_type, description, alexa_endpoint_id, ifttt_device_id,
                   is_online, version, created_at, updated_at, last_state_change, now() as tx_now
              from devices
             where id = :id
               for update
            """;

    // One round trip for the whole state change: every property row, then the version bump.
    private static final String APPLY_STATE_CHANGE = """
            with changed as (
                update device_properties p
                   set value = v.value, last_changed_by = :source, last_changed_at = now()
                  from unnest(cast(:names as text[]), cast(:values as text[])) as v (name, value)
                 where p.device_id = :device and p.name = v.name
            )
            update devices set version = version + 1, last_state_change = now()
             where id = :device
            returning version, updated_at
            """;

    private static final String UPDATE_DETAILS = """
            update devices
               set name = :name, friendly_name = :friendlyName, description = :description, version = version + 1
             where id = :id
            """;

    private static final String DELETE = """
            delete from devices where id = :id
            """;

    private final JdbcClient jdbc;

    DeviceRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    UUID insert(TenantContext owner, String name, String friendlyName, DeviceType type, String description) {
        return jdbc.sql(INSERT_DEVICE)
                .param("tenant", owner.tenantId())
                .param("user", owner.userId())
                .param("name", name)
                .param("friendlyName", friendlyName)
                .param("type", type.code())
                .param("description", description)
                .param("model", type.model())
                .param("categories", new String[] {type.alexaDisplayCategory()})
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
        Instant[] now = new Instant[1];
        return jdbc.sql(FIND_DEVICE_FOR_UPDATE)
                .param("id", id)
                .query((rs, i) -> {
                    now[0] = instant(rs, "tx_now");
                    return deviceRow(rs, i);
                })
                .optional()
                .map(row -> new Locked(assemble(List.of(row)).get(0), now[0]));
    }

    /**
     * Writes new stored values and bumps the version in one statement, and returns the device as it now is,
     * built from the locked copy instead of being read again.
     */
    Device applyStateChange(Locked locked, Map<String, String> stored, ChangeSource source) {
        Device current = locked.device();
        Object[] result = jdbc.sql(APPLY_STATE_CHANGE)
                .param("device", current.id())
                .param("names", stored.keySet().toArray(String[]::new))
                .param("values", stored.values().toArray(String[]::new))
                .param("source", source.code())
                .query((rs, i) -> new Object[] {rs.getLong("version"), instant(rs, "updated_at")})
                .single();
        Map<String, DeviceProperty> properties = new LinkedHashMap<>();
        current.properties().forEach((name, p) -> properties.put(name, stored.containsKey(name)
                ? new DeviceProperty(PropertyValues.typed(p.dataType(), stored.get(name)), p.dataType(), p.unit(),
                        p.min(), p.max(), p.allowedValues(), source.code(), locked.now(), p.alexaInterface(),
                        p.alexaPropertyName())
                : p));
        return new Device(current.id(), current.name(), current.friendlyName(), current.type(),
                current.description(), current.alexaEndpointId(), current.iftttDeviceId(), current.online(),
                (Long) result[0], withDisplayUnits(current.type(), properties), current.createdAt(),
                (Instant) result[1], locked.now());
    }

    void updateDetails(UUID id, String name, String friendlyName, String description) {
        jdbc.sql(UPDATE_DETAILS)
                .param("id", id)
                .param("name", name)
                .param("friendlyName", friendlyName)
                .param("description", description)
                .update();
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
            List<PropertyRow> props = new ArrayList<>(byDevice.getOrDefault(row.id(), List.of()));
            props.sort(Comparator.comparingInt(p -> row.type().order(p.name())));
            Map<String, DeviceProperty> properties = new LinkedHashMap<>();
            props.forEach(p -> properties.put(p.name(), p.property()));
            devices.add(new Device(row.id(), row.name(), row.friendlyName(), row.type(), row.description(),
                    row.alexaEndpointId(), row.iftttDeviceId(), row.online(), row.version(),
                    withDisplayUnits(row.type(), properties), row.createdAt(), row.updatedAt(),
                    row.lastStateChange()));
        }
        return devices;
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
                rs.getLong("version"),
                instant(rs, "created_at"),
                instant(rs, "updated_at"),
                instant(rs, "last_state_change"));
    }

    private PropertyRow propertyRow(ResultSet rs, int i) throws SQLException {
        PropertyDataType type = PropertyDataType.fromCode(rs.getString("data_type"));
        Array allowed = rs.getArray("allowed_values");
        return new PropertyRow(
                rs.getObject("device_id", UUID.class),
                rs.getString("name"),
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
            String alexaEndpointId, String iftttDeviceId, boolean online, long version, Instant createdAt,
            Instant updatedAt, Instant lastStateChange) {}

    private record PropertyRow(UUID deviceId, String name, DeviceProperty property) {}
}
