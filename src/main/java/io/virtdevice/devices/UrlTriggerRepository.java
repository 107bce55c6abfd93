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
            insert into url_triggers (tenant_id, user_id, device_id, name, prefix, token_hash, property, value, post_only)
            values (:tenant, :user, :device, :name, :prefix, :hash, :property, :value, :postOnly)
            returning id, device_id, name, prefix, property, value, post_only, last_used_at, use_count, created_at
            """;

    private static final String LIST = """
            select id, device_id, name, prefix, property, value, post_only, last_used_at, use_count, created_at
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

    private static final String UPDATE = """
            update url_triggers set name = coalesce(:name, name), post_only = coalesce(:postOnly, post_only)
             where id = :id and device_id = :device and revoked_at is null
            returning id, device_id, name, prefix, property, value, post_only, last_used_at, use_count, created_at
            """;

    // A definer function: the link's token is the only credential, so there is no tenant context yet.
    // It counts the use only when the link may fire on this method (a GET on a POST-only link may not).
    private static final String RESOLVE = """
            select trigger_id, device_id, user_id, tenant_id, property, value, post_only
              from app.resolve_url_trigger_for(:hash, :viaGet)
            """;

    private final JdbcClient jdbc;

    UrlTriggerRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    record Row(UUID id, UUID deviceId, String name, String prefix, String property, String value, boolean postOnly,
            Instant lastUsedAt, long useCount, Instant createdAt) {}

    /**
     * A live link's owner and fixed action; for a GET on a POST-only link only {@code postOnly} is set
     * (the rest is null and the use was not counted).
     */
    record Resolved(UUID triggerId, UUID deviceId, TenantContext owner, String property, String value,
            boolean postOnly) {}

    Row insert(TenantContext owner, UUID deviceId, String name, String prefix, byte[] hash, String property,
            String value, boolean postOnly) {
        return jdbc.sql(INSERT)
                .param("tenant", owner.tenantId())
                .param("user", owner.userId())
                .param("device", deviceId)
                .param("name", name)
                .param("prefix", prefix)
                .param("hash", hash)
                .param("property", property)
                .param("value", value)
                .param("postOnly", postOnly)
                .query(this::row)
                .single();
    }

    /** Changes a live link's name and/or POST-only flag (null keeps it); empty if there is no such live link. */
    Optional<Row> update(UUID deviceId, UUID id, String name, Boolean postOnly) {
        return jdbc.sql(UPDATE)
                .param("id", id)
                .param("device", deviceId)
                .param("name", name, java.sql.Types.VARCHAR)
                .param("postOnly", postOnly, java.sql.Types.BOOLEAN)
                .query(this::row)
                .optional();
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
    Optional<Resolved> resolve(byte[] hash, boolean viaGet) {
        return jdbc.sql(RESOLVE)
                .param("hash", hash)
                .param("viaGet", viaGet)
                .query((rs, i) -> new Resolved(
                        rs.getObject("trigger_id", UUID.class),
                        rs.getObject("device_id", UUID.class),
                        rs.getObject("tenant_id") == null ? null
                                : new TenantContext(rs.getObject("tenant_id", UUID.class), rs.getObject("user_id", UUID.class)),
                        rs.getString("property"),
                        rs.getString("value"),
                        rs.getBoolean("post_only")))
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
                rs.getBoolean("post_only"),
                lastUsed == null ? null : lastUsed.toInstant(),
                rs.getLong("use_count"),
                rs.getObject("created_at", OffsetDateTime.class).toInstant());
    }
}
