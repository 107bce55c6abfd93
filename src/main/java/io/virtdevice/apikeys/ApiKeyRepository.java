package io.virtdevice.apikeys;

import io.virtdevice.platform.tenancy.TenantContext;
import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/** Personal API keys, stored as the SHA-256 of the secret (D-09); the app role cannot read the hash back. */
@Component
class ApiKeyRepository {

    private static final String INSERT = """
            insert into api_keys (tenant_id, user_id, name, prefix, token_hash, scopes, expires_at)
            values (:tenant, :user, :name, :prefix, :hash, cast(:scopes as text[]), :expiresAt)
            returning id, name, prefix, scopes, expires_at, last_used_at, created_at
            """;

    private static final String LIST = """
            select id, name, prefix, scopes, expires_at, last_used_at, created_at
              from api_keys
             where user_id = :user and revoked_at is null
             order by created_at desc, id desc
            """;

    private static final String COUNT_ACTIVE = """
            select count(*) from api_keys where user_id = :user and revoked_at is null
            """;

    private static final String REVOKE = """
            update api_keys set revoked_at = now() where id = :id and revoked_at is null returning name
            """;

    // A definer function: a bearer request has no tenant context until its key is resolved.
    private static final String RESOLVE = """
            select key_id, user_id, tenant_id, scopes from app.resolve_api_key(:hash)
            """;

    private static final String EMAIL = """
            select email from users where id = :user
            """;

    private final JdbcClient jdbc;

    ApiKeyRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** A live key's owner and scopes. */
    record Resolved(UUID keyId, TenantContext owner, Set<String> scopes) {}

    ApiKey insert(TenantContext owner, String name, String prefix, byte[] hash, List<String> scopes,
            Instant expiresAt) {
        return jdbc.sql(INSERT)
                .param("tenant", owner.tenantId())
                .param("user", owner.userId())
                .param("name", name)
                .param("prefix", prefix)
                .param("hash", hash)
                .param("scopes", scopes.toArray(String[]::new))
                .param("expiresAt", expiresAt == null ? null : OffsetDateTime.ofInstant(expiresAt, ZoneOffset.UTC),
                        java.sql.Types.TIMESTAMP_WITH_TIMEZONE)
                .query(this::key)
                .single();
    }

    List<ApiKey> list(UUID userId) {
        return jdbc.sql(LIST).param("user", userId).query(this::key).list();
    }

    long countActive(UUID userId) {
        return jdbc.sql(COUNT_ACTIVE).param("user", userId).query(Long.class).single();
    }

    /** The revoked key's name, or empty when the context user has no live key with this id. */
    Optional<String> revoke(UUID id) {
        return jdbc.sql(REVOKE).param("id", id).query(String.class).optional();
    }

    /** Resolves a live, unexpired key (and notes its use, at most once a minute); empty otherwise. */
    Optional<Resolved> resolve(byte[] hash) {
        return jdbc.sql(RESOLVE)
                .param("hash", hash)
                .query((rs, i) -> new Resolved(
                        rs.getObject("key_id", UUID.class),
                        new TenantContext(rs.getObject("tenant_id", UUID.class), rs.getObject("user_id", UUID.class)),
                        Set.copyOf(strings(rs.getArray("scopes")))))
                .optional();
    }

    /** The user's email; needs a transaction bound to that user's context. */
    Optional<String> email(UUID userId) {
        return jdbc.sql(EMAIL).param("user", userId).query(String.class).optional();
    }

    private ApiKey key(ResultSet rs, int i) throws SQLException {
        return new ApiKey(
                rs.getObject("id", UUID.class),
                rs.getString("name"),
                rs.getString("prefix"),
                strings(rs.getArray("scopes")),
                instant(rs, "expires_at"),
                instant(rs, "last_used_at"),
                instant(rs, "created_at"));
    }

    private static List<String> strings(Array array) throws SQLException {
        return array == null ? List.of() : List.of((String[]) array.getArray());
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }
}
