package io.virtdevice.devices;

import io.virtdevice.platform.tenancy.TenantContext;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/** Appends to {@code device_events}, the durable history of every committed device change. */
@Component
class DeviceEventRepository {

    private static final String INSERT = """
            insert into device_events (tenant_id, user_id, device_id, device_name, device_type, alexa_endpoint_id,
                                       ifttt_device_id, kind, source, device_version, changes, snapshot)
            values (:tenant, :user, :device, :name, :type, :alexaEndpointId, :iftttDeviceId, :kind, :source, :version,
                    cast(:changes as jsonb), cast(:snapshot as jsonb))
            returning id, occurred_at, seq, changes::text as changes, snapshot::text as snapshot
            """;

    private final JdbcClient jdbc;
    private final JsonMapper json;

    DeviceEventRepository(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    /** The stored event's id, time and the columns the database computed or normalised. */
    record Stored(UUID id, Instant occurredAt, long seq, String changes, String snapshot) {}

    Stored insert(TenantContext owner, Device device, DeviceStateChanged.Kind kind, ChangeSource source,
            long version, List<DeviceStateChanged.Change> changes, Map<String, Object> snapshot) {
        return jdbc.sql(INSERT)
                .param("tenant", owner.tenantId())
                .param("user", owner.userId())
                .param("device", device.id())
                .param("name", device.name())
                .param("type", device.type().code())
                .param("alexaEndpointId", device.alexaEndpointId())
                .param("iftttDeviceId", device.iftttDeviceId())
                .param("kind", kind.code())
                .param("source", source.code())
                .param("version", version)
                .param("changes", json.writeValueAsString(changes))
                .param("snapshot", json.writeValueAsString(snapshot))
                .query((rs, i) -> stored(rs, "id"))
                .single();
    }

    /** Reads {@link Stored} from a row that returned the event's columns ({@code idColumn} for its id). */
    static Stored stored(ResultSet rs, String idColumn) throws SQLException {
        return stored(rs, idColumn, rs.getString("changes"), rs.getString("snapshot"));
    }

    /**
     * {@link #stored(ResultSet, String)} for a row without the JSON columns, with the JSON as it was sent (in
     * jsonb's key order, see DeviceRepository.jsonbText). The state-change statements return no text: the
     * write after the context statement must return fixed-size columns only (TenantScopedTransactionManager's
     * CONTEXT_STATEMENT says why), and the text would cost a jsonb-to-text conversion per change.
     */
    static Stored stored(ResultSet rs, String idColumn, String changes, String snapshot) throws SQLException {
        return new Stored(rs.getObject(idColumn, UUID.class), rs.getObject("occurred_at", OffsetDateTime.class)
                .toInstant(), rs.getLong("seq"), changes, snapshot);
    }
}
