package io.virtdevice.activity;

import io.virtdevice.platform.tenancy.TenantContext;
import io.virtdevice.platform.tenancy.TenantScope;
import io.virtdevice.platform.web.RequestInfo;
import java.util.Map;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.json.JsonMapper;

/**
 * The activity module's API for writers: records one entry inside the caller's transaction, so the entry
 * commits or rolls back with the change it describes. The acting tenant and user come from the
 * transaction's tenant context; IP address and user agent from the current request, if any.
 */
@Component
public class ActivityLog {

    private static final String INSERT = """
            insert into activity_logs (tenant_id, user_id, device_id, action, details, source, ip_address, user_agent)
            values (:tenant, :user, :device, :action, cast(:details as jsonb), :source, cast(:ip as inet), :agent)
            """;

    private final JdbcClient jdbc;
    private final JsonMapper json;

    ActivityLog(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    /**
     * Records an entry for the current tenant context.
     *
     * @param source web, api, alexa, ifttt, trigger or system
     * @param deviceId the device concerned, or null
     * @param details a small JSON object (names are snapshotted here, since ids outlive their rows)
     */
    @Transactional(propagation = Propagation.MANDATORY)
    public void record(ActivityAction action, String source, UUID deviceId, Map<String, ?> details) {
        TenantContext context = TenantScope.current()
                .orElseThrow(() -> new IllegalStateException("activity needs a tenant context"));
        record(context, action, source, deviceId, details);
    }

    /** As {@link #record(ActivityAction, String, UUID, Map)}, for a context bound with {@code rebind}. */
    @Transactional(propagation = Propagation.MANDATORY)
    public void record(TenantContext context, ActivityAction action, String source, UUID deviceId,
            Map<String, ?> details) {
        RequestInfo request = RequestInfo.current().orElse(null);
        jdbc.sql(INSERT)
                .param("tenant", context.tenantId())
                .param("user", context.userId())
                .param("device", deviceId)
                .param("action", action.code())
                .param("details", json.writeValueAsString(details == null ? Map.of() : details))
                .param("source", source)
                .param("ip", request == null ? null : request.ipAddress())
                .param("agent", request == null ? null : request.userAgent())
                .update();
    }
}
