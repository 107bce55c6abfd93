package io.virtdevice.activity;

import io.virtdevice.platform.tenancy.TenantContext;
import io.virtdevice.platform.tenancy.TenantScope;
import io.virtdevice.platform.web.RequestInfo;
import java.util.Collections;
import java.util.HashMap;
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

    private static final String COLUMNS =
            "insert into activity_logs (tenant_id, user_id, device_id, action, details, source, ip_address, user_agent)\n";

    private static final String VALUES =
            ":tenant, :user, :device, :action, cast(:details as jsonb), :source, cast(:ip as inet), :agent";

    private static final String INSERT = COLUMNS + "values (" + VALUES + ")";

    // Its parameters prefixed, so writers can fold it into a statement of their own (see entry).
    private static final String INSERT_FRAGMENT = INSERT.replace(":", ":activity_");

    // The same, inserting one entry per row of a relation the caller names (%s): none if it has no row.
    private static final String INSERT_FROM_FRAGMENT = (COLUMNS + "select " + VALUES + " from %s").replace(":", ":activity_");

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

    /**
     * An entry for the current tenant context as an SQL fragment ({@code insert into activity_logs ...}, with
     * named parameters all starting {@code activity_}) and its parameters, for a hot path that writes the
     * entry in the same statement as the change it describes (a data-modifying CTE) to save a round trip.
     * The caller must execute it in its transaction, exactly once.
     */
    public Entry entry(ActivityAction action, String source, UUID deviceId, Map<String, ?> details) {
        TenantContext context = TenantScope.current()
                .orElseThrow(() -> new IllegalStateException("activity needs a tenant context"));
        return entry(context, action, source, deviceId, details);
    }

    private Entry entry(TenantContext context, ActivityAction action, String source, UUID deviceId,
            Map<String, ?> details) {
        RequestInfo request = RequestInfo.current().orElse(null);
        Map<String, Object> params = new HashMap<>();
        params.put("activity_tenant", context.tenantId());
        params.put("activity_user", context.userId());
        params.put("activity_device", deviceId);
        params.put("activity_action", action.code());
        params.put("activity_details", json.writeValueAsString(details == null ? Map.of() : details));
        params.put("activity_source", source);
        params.put("activity_ip", request == null ? null : request.ipAddress());
        params.put("activity_agent", request == null ? null : request.userAgent());
        return new Entry(INSERT_FRAGMENT, Collections.unmodifiableMap(params));
    }

    /** An activity entry to write as part of another statement; see {@link #entry}. */
    public record Entry(String sql, Map<String, Object> params) {

        /**
         * The entry as {@code insert into activity_logs ... select ... from <relation>}: written once per row
         * of {@code relation} (a CTE of the caller's statement that yields at most one row), so it is written
         * only if the change it describes was.
         */
        public String sqlFrom(String relation) {
            return INSERT_FROM_FRAGMENT.formatted(relation);
        }
    }

    /** As {@link #record(ActivityAction, String, UUID, Map)}, for a context bound with {@code rebind}. */
    @Transactional(propagation = Propagation.MANDATORY)
    public void record(TenantContext context, ActivityAction action, String source, UUID deviceId,
            Map<String, ?> details) {
        Entry entry = entry(context, action, source, deviceId, details);
        jdbc.sql(entry.sql()).params(entry.params()).update();
    }
}
