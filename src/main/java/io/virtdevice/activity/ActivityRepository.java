package io.virtdevice.activity;

import io.virtdevice.platform.web.KeysetCursor;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads the activity log. Row-level security decides whose entries are visible (a member's own, or the
 * whole tenant's for owners and admins); the tenant filter repeats it so the time index is usable.
 */
@Component
class ActivityRepository {

    private static final String PAGE = """
            select id, action, source, device_id, user_id, details::text as details, host(ip_address) as ip_address,
                   user_agent, created_at
              from activity_logs
             where tenant_id = :tenant
               and (cast(:device as uuid) is null or device_id = cast(:device as uuid))
               and (cast(:action as text) is null or action = cast(:action as text))
               and (cast(:source as text) is null or source = cast(:source as text))
               and (cast(:from as timestamptz) is null or created_at >= cast(:from as timestamptz))
               and (cast(:to as timestamptz) is null or created_at < cast(:to as timestamptz))
               and (cast(:beforeAt as timestamptz) is null
                    or (created_at, id) < (cast(:beforeAt as timestamptz), cast(:beforeId as uuid)))
             order by created_at desc, id desc
             limit :limit
            """;

    private final JdbcClient jdbc;
    private final JsonMapper json;

    ActivityRepository(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    /** Filter values; null means "any". {@code from} is inclusive, {@code to} exclusive. */
    record Filter(UUID deviceId, ActivityAction action, String source, Instant from, Instant to) {}

    List<ActivityEntry> page(UUID tenantId, Filter filter, KeysetCursor before, int limit) {
        return jdbc.sql(PAGE)
                .param("tenant", tenantId)
                .param("device", filter.deviceId(), Types.OTHER)
                .param("action", filter.action() == null ? null : filter.action().code(), Types.VARCHAR)
                .param("source", filter.source(), Types.VARCHAR)
                .param("from", timestamp(filter.from()), Types.TIMESTAMP_WITH_TIMEZONE)
                .param("to", timestamp(filter.to()), Types.TIMESTAMP_WITH_TIMEZONE)
                .param("beforeAt", before == null ? null : timestamp(before.createdAt()), Types.TIMESTAMP_WITH_TIMEZONE)
                .param("beforeId", before == null ? null : before.id(), Types.OTHER)
                .param("limit", limit)
                .query((rs, i) -> new ActivityEntry(
                        rs.getObject("id", UUID.class),
                        rs.getString("action"),
                        rs.getString("source"),
                        rs.getObject("device_id", UUID.class),
                        rs.getObject("user_id", UUID.class),
                        json.readTree(rs.getString("details")),
                        rs.getString("ip_address"),
                        rs.getString("user_agent"),
                        rs.getObject("created_at", OffsetDateTime.class).toInstant()))
                .list();
    }

    private static OffsetDateTime timestamp(Instant instant) {
        return instant == null ? null : OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }
}
