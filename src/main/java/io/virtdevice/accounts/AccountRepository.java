package io.virtdevice.accounts;

import io.virtdevice.platform.tenancy.TenantContext;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** Users, their tenant and plan, and the e-mailed account tokens (through the {@code app} definer functions). */
@Repository
class AccountRepository {

    private static final String SIGN_UP = """
            select tenant_id, user_id
              from app.sign_up(cast(:tenantName as text), cast(:slug as text), cast(:email as text),
                               cast(:name as text), cast(:hash as text), :maxDevices)
            """;
    private static final String ACCOUNT = """
            select u.id, u.email, u.name, u.role::text as role, u.email_verified,
                   t.id as tenant_id, t.name as tenant_name, t.slug,
                   p.tier, p.status, p.max_devices
              from users u
              join tenants t on t.id = u.tenant_id
              -- the plan in effect for the tenant (its owner's subscription after grace periods), or the
              -- instance limit without billing
              cross join lateral app.tenant_plan() p
             where u.id = :user
            """;
    private static final String RENAME = "update users set name = :name where id = :user";
    private static final String ISSUE_VERIFICATION = "select app.issue_email_verification(:hash, :ttl)";
    private static final String VERIFY_EMAIL = "select user_id, tenant_id from app.verify_email(:hash)";
    private static final String REQUEST_RESET = """
            select email from app.request_password_reset(cast(:email as text), :hash, :ttl)
            """;
    private static final String RESET_PASSWORD = "select user_id, tenant_id from app.reset_password(:hash, cast(:newHash as text))";
    private static final String DELETE_OWN_ACCOUNT = "select app.delete_own_account()";

    private final JdbcClient jdbc;

    AccountRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** The new owner's context, or empty when the email is already registered (nothing is created then). */
    Optional<TenantContext> signUp(String tenantName, String slug, String email, String name, String passwordHash,
            int maxDevices) {
        return Refusals.translated(() -> jdbc.sql(SIGN_UP)
                .param("tenantName", tenantName)
                .param("slug", slug)
                .param("email", email)
                .param("name", name)
                .param("hash", passwordHash)
                .param("maxDevices", maxDevices)
                .query(AccountRepository::context)
                .optional());
    }

    Optional<Account> account(UUID userId) {
        return jdbc.sql(ACCOUNT).param("user", userId).query(AccountRepository::account).optional();
    }

    boolean rename(UUID userId, String name) {
        return jdbc.sql(RENAME).param("user", userId).param("name", name).update() == 1;
    }

    /** Stores a new verification token for the context user; false if their email is already verified. */
    boolean issueVerification(byte[] tokenHash, Duration ttl) {
        return jdbc.sql(ISSUE_VERIFICATION)
                .param("hash", tokenHash)
                .param("ttl", (int) ttl.toSeconds())
                .query(Boolean.class)
                .single();
    }

    Optional<TenantContext> verifyEmail(byte[] tokenHash) {
        return jdbc.sql(VERIFY_EMAIL).param("hash", tokenHash).query(AccountRepository::context).optional();
    }

    /** The address to mail the reset link to, or empty for an unknown email. */
    Optional<String> requestPasswordReset(String email, byte[] tokenHash, Duration ttl) {
        return jdbc.sql(REQUEST_RESET)
                .param("email", email)
                .param("hash", tokenHash)
                .param("ttl", (int) ttl.toSeconds())
                .query(String.class)
                .optional();
    }

    Optional<TenantContext> resetPassword(byte[] tokenHash, String newPasswordHash) {
        return jdbc.sql(RESET_PASSWORD)
                .param("hash", tokenHash)
                .param("newHash", newPasswordHash)
                .query(AccountRepository::context)
                .optional();
    }

    /** Deletes the context user (and the tenant, if they were alone in it); returns their email. */
    String deleteOwnAccount() {
        return Refusals.translated(() -> jdbc.sql(DELETE_OWN_ACCOUNT).query(String.class).single());
    }

    private static TenantContext context(ResultSet rs, int row) throws SQLException {
        return new TenantContext(rs.getObject("tenant_id", UUID.class), rs.getObject("user_id", UUID.class));
    }

    private static Account account(ResultSet rs, int row) throws SQLException {
        String tier = rs.getString("tier");
        return new Account(
                rs.getObject("id", UUID.class),
                rs.getString("email"),
                rs.getString("name"),
                rs.getString("role"),
                rs.getBoolean("email_verified"),
                new Tenant(rs.getObject("tenant_id", UUID.class), rs.getString("tenant_name"), rs.getString("slug")),
                tier == null ? null : new Account.Plan(tier, rs.getInt("max_devices"), rs.getString("status")));
    }
}
