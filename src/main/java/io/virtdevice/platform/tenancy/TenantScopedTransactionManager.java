package io.virtdevice.platform.tenancy;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The one place that hands the tenant context to PostgreSQL: right after BEGIN, every transaction runs
 * {@code set_config('app.current_tenant_id', ?, true), set_config('app.current_user_id', ?, true)}.
 * The settings are transaction-local, so nothing leaks to the next user of a pooled connection; without
 * a scope both are set to '' and the policies match no row (fail closed).
 */
public class TenantScopedTransactionManager extends JdbcTransactionManager {

    static final String SET_CONTEXT =
            "select set_config('app.current_tenant_id', ?, true), set_config('app.current_user_id', ?, true)";
    static final String SET_CONTEXT_ASYNCHRONOUS_COMMIT = SET_CONTEXT + ", set_config('synchronous_commit', 'off', true)";

    /**
     * Transactions of this template commit without waiting for their WAL to reach disk
     * ({@code synchronous_commit = off}, set in the same statement as the context: no extra round trip).
     * Only for work that is redone when a database crash loses its last fraction of a second: the change-event
     * relay (a lost dispatch is dispatched again) and the recording of webhook attempts (a lost record leaves
     * the message's lease, so it is sent again). Visibility is unchanged; durability of everything else too.
     */
    public static TransactionTemplate asynchronousCommit(PlatformTransactionManager transactionManager) {
        return new AsynchronousCommitTemplate(transactionManager);
    }

    private static final class AsynchronousCommitTemplate extends TransactionTemplate {
        private static final long serialVersionUID = 1L;

        AsynchronousCommitTemplate(PlatformTransactionManager transactionManager) {
            super(transactionManager);
        }
    }

    public TenantScopedTransactionManager(DataSource dataSource) {
        super(dataSource);
    }

    @Override
    protected void prepareTransactionalConnection(Connection con, TransactionDefinition definition)
            throws SQLException {
        super.prepareTransactionalConnection(con, definition);
        apply(con, TenantScope.current().orElse(null), definition instanceof AsynchronousCommitTemplate);
    }

    /**
     * Re-binds the context inside the transaction already running on this data source, for the few flows
     * that learn who the user is half-way (sign-up, login, accepting an invitation).
     */
    public static void rebind(DataSource dataSource, TenantContext context) {
        Connection con = DataSourceUtils.getConnection(dataSource);
        try {
            apply(con, context);
        } catch (SQLException e) {
            throw new IllegalStateException("could not set the tenant context", e);
        } finally {
            DataSourceUtils.releaseConnection(con, dataSource);
        }
    }

    static void apply(Connection con, TenantContext context) throws SQLException {
        apply(con, context, false);
    }

    private static void apply(Connection con, TenantContext context, boolean asynchronousCommit) throws SQLException {
        try (PreparedStatement ps = con.prepareStatement(asynchronousCommit ? SET_CONTEXT_ASYNCHRONOUS_COMMIT : SET_CONTEXT)) {
            ps.setString(1, context == null ? "" : context.tenantId().toString());
            ps.setString(2, context == null ? "" : context.userId().toString());
            ps.execute();
        }
    }
}
