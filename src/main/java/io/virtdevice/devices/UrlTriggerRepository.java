package io.virtdevice.devices;

import io.virtdevice.platform.tenancy.TenantContext;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/** URL-trigger links, stored as the SHA-256 of their token (D-09). */
@Component
class UrlTriggerRepository {

    private static final String INSERT = """
            insert into url_triggers (tenant_id, user_id, device_id, name, prefix, token_hash, property, value)
            values (:tenant, :user, :device, :name, :prefix, :hash, :property, :value)
            returning id, device_id, name, prefix, property, value, last_used_at, use_count, created_at
            """;

    private static final String LIST = """
            select id, device_id, name, prefix, property, value, last_used_at, use_count, created_at
              from url_triggers
             where device_id = :device and revoked_at is null
             order by created_at desc, id desc
            """;

    private static final String COUNT_ACTIVE = """
            select count(*) from url_triggers where device_id = :device and revoked_at is null
            """;

    private static final String REVOKE = """
            update url_triggers set revoked_at = now()
             where id = :id and device_id = :device and revoked_at is null
            returning name
            """;

    // A definer function: the link's token is the only credential, so there is no tenant context yet.
    private static final String RESOLVE = """
            select trigger_id, device_id, user_id, tenant_id, property, value from app.resolve_url_trigger(:hash)
            """;

    private final JdbcClient jdbc;

    UrlTriggerRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    record Row(UUID id, UUID deviceId, String name, String prefix, String property, String value,
            Instant lastUsedAt, long useCount, Instant createdAt) {}

    /** A live link's owner and fixed action. */
    record Resolved(UUID triggerId, UUID deviceId, TenantContext owner, String property, String value) {}

    Row insert(TenantContext owner, UUID deviceId, String name, String prefix, byte[] hash, String property,
            String value) {
        return jdbc.sql(INSERT)
                .param("tenant", owner.tenantId())
                .param("user", owner.userId())
                .param("device", deviceId)
                .param("name", name)
                .param("prefix", prefix)
                .param("hash", hash)
                .param("property", property)
                .param("value", value)
                .query(this::row)
                .single();
    }

    List<Row> list(UUID deviceId) {
        return jdbc.sql(LIST).param("device", deviceId).query(this::row).list();
    }

    long countActive(UUID deviceId) {
        return jdbc.sql(COUNT_ACTIVE).param("device", deviceId).query(Long.class).single();
    }

    /** The revoked link's name, or empty if there was no live link with this id on this device. */
    Optional<String> revoke(UUID deviceId, UUID id) {
        return jdbc.sql(REVOKE).param("id", id).param("device", deviceId).query(String.class).optional();
    }

    /** Resolves a live link and counts the use; empty for an unknown or revoked one. */
    Optional<Resolved> resolve(byte[] hash) {
        return jdbc.sql(RESOLVE)
                .param("hash", hash)
                .query((rs, i) -> new Resolved(
                        rs.getObject("trigger_id", UUID.class),
                        rs.getObject("device_id", UUID.class),
                        new TenantContext(rs.getObject("tenant_id", UUID.class), rs.getObject("user_id", UUID.class)),
                        rs.getString("property"),
                        rs.getString("value")))
                .optional();
    }

    private Row row(ResultSet rs, int i) throws SQLException {
        OffsetDateTime lastUsed = rs.getObject("last_used_at", OffsetDateTime.class);
        return new Row(
                rs.getObject("id", UUID.class),
                rs.getObject("device_id", UUID.class),
                rs.getString("name"),
                rs.getString("prefix"),
                rs.getString("property"),
                rs.getString("value"),
                lastUsed == null ? null : lastUsed.toInstant(),
                rs.getLong("use_count"),
                rs.getObject("created_at", OffsetDateTime.class).toInstant());
    }
}
