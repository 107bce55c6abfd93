package io.virtdevice.accounts;

import io.virtdevice.platform.tenancy.TenantContext;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * The context tenant, its members and invitations. Row-level security scopes every query to the context
 * tenant; role changes, removals and invitations go through the {@code app} definer functions,
 * which decide who may.
 */
@Repository
class TeamRepository {

    private static final String TENANT = "select id, name, slug from tenants where id = app.current_tenant_id()";
    // the tenants_admin_update policy lets only owners and admins match the row
    private static final String RENAME_TENANT = "update tenants set name = :name where id = app.current_tenant_id()";
    private static final String MEMBERS = """
            select id, email, name, role::text as role, email_verified, last_login_at, created_at
              from users
             order by created_at, id
            """;
    private static final String MEMBER = """
            select id, email, name, role::text as role, email_verified, last_login_at, created_at
              from users where id = :id
            """;
    private static final String HAS_MEMBER = "select exists (select 1 from users where email = :email)";
    private static final String CALLER_ROLE = "select role::text from users where id = app.current_user_id()";
    private static final String CHANGE_ROLE = "select app.change_member_role(:id, cast(:role as user_role))::text";
    private static final String REMOVE_MEMBER = "select app.remove_member(:id)";
    private static final String CREATE_INVITATION =
            "select app.create_invitation(cast(:email as text), cast(:role as user_role), :hash, :ttl)";
    private static final String INVITATIONS = """
            select id, email, role::text as role, invited_by, expires_at, created_at
              from invitations
             where accepted_at is null and revoked_at is null and expires_at > now()
             order by created_at desc, id
             limit 500
            """;
    private static final String INVITATION = """
            select id, email, role::text as role, invited_by, expires_at, created_at
              from invitations where id = :id
            """;
    private static final String REVOKE_INVITATION = "select app.revoke_invitation(:id)";
    private static final String ACCEPT_INVITATION = """
            select user_id, tenant_id from app.accept_invitation(:hash, cast(:name as text), cast(:passwordHash as text), :maxDevices)
            """;

    private final JdbcClient jdbc;

    TeamRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    Optional<Tenant> tenant() {
        return jdbc.sql(TENANT)
                .query((rs, i) -> new Tenant(rs.getObject("id", UUID.class), rs.getString("name"), rs.getString("slug")))
                .optional();
    }

    /** False when the caller is not allowed to (the row policy hides the row from members). */
    boolean renameTenant(String name) {
        return jdbc.sql(RENAME_TENANT).param("name", name).update() == 1;
    }

    boolean hasMember(String email) {
        return jdbc.sql(HAS_MEMBER).param("email", email).query(Boolean.class).single();
    }

    Optional<String> callerRole() {
        return jdbc.sql(CALLER_ROLE).query(String.class).optional();
    }

    List<Member> members() {
        return jdbc.sql(MEMBERS).query(TeamRepository::member).list();
    }

    Optional<Member> member(UUID id) {
        return jdbc.sql(MEMBER).param("id", id).query(TeamRepository::member).optional();
    }

    /** Returns the member's previous role. */
    String changeRole(UUID memberId, String role) {
        return Refusals.translated(() -> jdbc.sql(CHANGE_ROLE)
                .param("id", memberId)
                .param("role", role)
                .query(String.class)
                .single());
    }

    /** Removes the member with everything they own; returns their email. */
    String removeMember(UUID memberId) {
        return Refusals.translated(() -> jdbc.sql(REMOVE_MEMBER).param("id", memberId).query(String.class).single());
    }

    UUID createInvitation(String email, String role, byte[] tokenHash, Duration ttl) {
        return Refusals.translated(() -> jdbc.sql(CREATE_INVITATION)
                .param("email", email)
                .param("role", role)
                .param("hash", tokenHash)
                .param("ttl", (int) ttl.toSeconds())
                .query(UUID.class)
                .single());
    }

    List<Invitation> invitations() {
        return jdbc.sql(INVITATIONS).query(TeamRepository::invitation).list();
    }

    Optional<Invitation> invitation(UUID id) {
        return jdbc.sql(INVITATION).param("id", id).query(TeamRepository::invitation).optional();
    }

    /** False when there is no open invitation with this id in the tenant. */
    boolean revokeInvitation(UUID id) {
        return Refusals.translated(() -> jdbc.sql(REVOKE_INVITATION).param("id", id).query(Boolean.class).single());
    }

    /** The new member's context, or empty for an unknown, expired, revoked or used invitation. */
    Optional<TenantContext> acceptInvitation(byte[] tokenHash, String name, String passwordHash, int maxDevices) {
        return Refusals.translated(() -> jdbc.sql(ACCEPT_INVITATION)
                .param("hash", tokenHash)
                .param("name", name)
                .param("passwordHash", passwordHash)
                .param("maxDevices", maxDevices)
                .query((rs, i) -> new TenantContext(rs.getObject("tenant_id", UUID.class), rs.getObject("user_id", UUID.class)))
                .optional());
    }

    private static Member member(ResultSet rs, int row) throws SQLException {
        return new Member(
                rs.getObject("id", UUID.class),
                rs.getString("email"),
                rs.getString("name"),
                rs.getString("role"),
                rs.getBoolean("email_verified"),
                instant(rs.getTimestamp("last_login_at")),
                instant(rs.getTimestamp("created_at")));
    }

    private static Invitation invitation(ResultSet rs, int row) throws SQLException {
        return new Invitation(
                rs.getObject("id", UUID.class),
                rs.getString("email"),
                rs.getString("role"),
                rs.getObject("invited_by", UUID.class),
                instant(rs.getTimestamp("expires_at")),
                instant(rs.getTimestamp("created_at")));
    }

    private static Instant instant(Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant();
    }
}
