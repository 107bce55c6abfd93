package io.virtdevice.accounts;

import io.virtdevice.platform.tenancy.TenantContext;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * Passwords, through the definer functions only: the app role cannot read a hash. The database hands out
 * the salt prefix, the application derives the candidate, and the database compares.
 */
@Repository
class CredentialRepository {

    private static final String BEGIN_LOGIN =
            "select salt_prefix, retry_after from app.begin_login(cast(:email as text), cast(:ip as inet))";
    private static final String FINISH_LOGIN = """
            select user_id, tenant_id from app.finish_login(cast(:email as text), cast(:candidate as text), cast(:ip as inet))
            """;
    private static final String OWN_SALT = "select app.own_password_salt()";
    private static final String CHANGE_OWN = "select app.change_own_password(cast(:candidate as text), cast(:newHash as text))";
    private static final String VERIFY_OWN = "select app.verify_own_password(cast(:candidate as text))";

    private final JdbcClient jdbc;

    CredentialRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** The start of a sign-in: the stored salt prefix (null for an unknown email) or a throttle delay. */
    record LoginStart(String saltPrefix, int retryAfterSeconds) {}

    LoginStart beginLogin(String email, String ip) {
        return jdbc.sql(BEGIN_LOGIN)
                .param("email", email)
                .param("ip", ip)
                .query((rs, i) -> new LoginStart(rs.getString("salt_prefix"), rs.getInt("retry_after")))
                .single();
    }

    /** The user's context if the candidate matches; a failure is recorded for throttling either way. */
    Optional<TenantContext> finishLogin(String email, String candidate, String ip) {
        return jdbc.sql(FINISH_LOGIN)
                .param("email", email)
                .param("candidate", candidate)
                .param("ip", ip)
                .query((rs, i) -> new TenantContext(rs.getObject("tenant_id", UUID.class), rs.getObject("user_id", UUID.class)))
                .optional();
    }

    /** The context user's salt prefix. */
    String ownSaltPrefix() {
        return jdbc.sql(OWN_SALT).query(String.class).single();
    }

    boolean changeOwnPassword(String currentCandidate, String newHash) {
        return jdbc.sql(CHANGE_OWN)
                .param("candidate", currentCandidate)
                .param("newHash", newHash)
                .query(Boolean.class)
                .single();
    }

    boolean verifyOwnPassword(String candidate) {
        return jdbc.sql(VERIFY_OWN).param("candidate", candidate).query(Boolean.class).single();
    }
}
