package io.virtdevice.webhooks;

import io.virtdevice.platform.tenancy.TenantContext;
import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** The {@code webhooks} rows of the context user (RLS); secrets only ever as ciphertext. */
@Component
class WebhookRepository {

    private static final String COLUMNS = """
            id, device_id, url, events, headers::text as headers, enabled, disabled_reason, disabled_at, failure_count,
            last_triggered_at, last_status_code, secret_rotated_at,
            case when previous_secret_expires_at > now() then previous_secret_expires_at end as previous_expires_at,
            created_at, updated_at
            """;

    private static final String INSERT = """
            insert into webhooks (id, tenant_id, user_id, device_id, url, events, secret_enc, headers)
            values (:id, :tenant, :user, :device, :url, :events, :secret, cast(:headers as jsonb))
            returning\s""" + COLUMNS;

    private static final String LIST = "select " + COLUMNS + " from webhooks where user_id = :user order by created_at, id";

    private static final String FIND = "select " + COLUMNS + " from webhooks where id = :id";

    // Serialises creations per user so the count cannot be raced past the limit.
    private static final String LOCK_USER = "select pg_advisory_xact_lock(hashtextextended('webhooks:' || :user, 0))";

    private static final String COUNT = "select count(*) from webhooks where user_id = :user";

    private static final String UPDATE = """
            update webhooks
               set url = :url, device_id = :device, events = :events, headers = cast(:headers as jsonb)
             where id = :id
            returning\s""" + COLUMNS;

    private static final String ENABLE = """
            update webhooks
               set enabled = true, disabled_at = null, disabled_reason = null, failing_since = null, failure_count = 0
             where id = :id and not enabled
            """;

    private static final String DISABLE = """
            update webhooks w set enabled = false, disabled_at = now(), disabled_reason = :reason
             where w.id = :id and w.enabled
            returning w.url, (select u.email from users u where u.id = w.user_id) as email
            """;

    private static final String DELETE = "delete from webhooks where id = :id returning url";

    private static final String ROTATE = """
            update webhooks
               set previous_secret_enc = secret_enc, previous_secret_expires_at = now() + cast(:overlap as interval),
                   secret_enc = :secret, secret_rotated_at = now()
             where id = :id
            returning previous_secret_expires_at
            """;

    private final JdbcClient jdbc;
    private final JsonMapper json;

    WebhookRepository(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    Webhook insert(UUID id, TenantContext owner, String url, UUID deviceId, List<String> events,
            Map<String, String> headers, byte[] secretEnc) {
        return jdbc.sql(INSERT)
                .param("id", id)
                .param("tenant", owner.tenantId())
                .param("user", owner.userId())
                .param("device", deviceId)
                .param("url", url)
                .param("events", events.toArray(String[]::new))
                .param("secret", secretEnc)
                .param("headers", json.writeValueAsString(headers))
                .query(this::webhook)
                .single();
    }

    long lockAndCount(UUID userId) {
        jdbc.sql(LOCK_USER).param("user", userId.toString()).query((rs, i) -> 1).list();
        return jdbc.sql(COUNT).param("user", userId).query(Long.class).single();
    }

    List<Webhook> list(UUID userId) {
        return jdbc.sql(LIST).param("user", userId).query(this::webhook).list();
    }

    Optional<Webhook> find(UUID id) {
        return jdbc.sql(FIND).param("id", id).query(this::webhook).optional();
    }

    Optional<Webhook> update(UUID id, String url, UUID deviceId, List<String> events, Map<String, String> headers) {
        return jdbc.sql(UPDATE)
                .param("id", id)
                .param("url", url)
                .param("device", deviceId)
                .param("events", events.toArray(String[]::new))
                .param("headers", json.writeValueAsString(headers))
                .query(this::webhook)
                .optional();
    }

    /** Re-enables a disabled webhook with a clean failure record; false if it was enabled already. */
    boolean enable(UUID id) {
        return jdbc.sql(ENABLE).param("id", id).update() == 1;
    }

    /** A webhook this call disabled: its URL and its owner's e-mail address. */
    record Disabled(String url, String ownerEmail) {}

    /** Disables an enabled webhook; empty if it was not enabled (or not there). */
    Optional<Disabled> disable(UUID id, String reason) {
        return jdbc.sql(DISABLE).param("id", id).param("reason", reason)
                .query((rs, i) -> new Disabled(rs.getString("url"), rs.getString("email")))
                .optional();
    }

    Optional<String> delete(UUID id) {
        return jdbc.sql(DELETE).param("id", id).query(String.class).optional();
    }

    Optional<Instant> rotate(UUID id, byte[] secretEnc, java.time.Duration overlap) {
        return jdbc.sql(ROTATE)
                .param("id", id)
                .param("secret", secretEnc)
                .param("overlap", overlap.toSeconds() + " seconds")
                .query((rs, i) -> instant(rs, "previous_secret_expires_at"))
                .optional();
    }

    private Webhook webhook(ResultSet rs, int row) throws SQLException {
        Integer lastStatus = rs.getObject("last_status_code", Integer.class);
        return new Webhook(
                rs.getObject("id", UUID.class),
                rs.getString("url"),
                rs.getObject("device_id", UUID.class),
                strings(rs.getArray("events")),
                json.readValue(rs.getString("headers"), new TypeReference<LinkedHashMap<String, String>>() {}),
                rs.getBoolean("enabled"),
                rs.getString("disabled_reason"),
                instant(rs, "disabled_at"),
                rs.getInt("failure_count"),
                instant(rs, "last_triggered_at"),
                lastStatus,
                instant(rs, "secret_rotated_at"),
                instant(rs, "previous_expires_at"),
                instant(rs, "created_at"),
                instant(rs, "updated_at"));
    }

    static List<String> strings(Array array) throws SQLException {
        return array == null ? List.of() : List.of((String[]) array.getArray());
    }

    static Instant instant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }
}
