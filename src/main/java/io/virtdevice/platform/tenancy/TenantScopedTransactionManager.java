package io.virtdevice.platform.tenancy;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.springframework.jdbc.datasource.DataSourceUtils;
import java.util.Map;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.interceptor.TransactionAttribute;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The one place that hands the tenant context to PostgreSQL: right after BEGIN, every transaction runs
 * {@code set_config('app.current_tenant_id', ?, true), set_config('app.current_user_id', ?, true)}.
 * The settings are transaction-local, so nothing leaks to the next user of a pooled connection; without
 * a scope both are set to '' and the policies match no row (fail closed).
 *
 * <p>A transaction labelled {@link #CONTEXT_IN_FIRST_STATEMENT} ({@code @Transactional(label = ...)}) skips that
 * statement: its first statement binds the context itself, sent in the same round trip as the statement it
 * precedes ({@link #CONTEXT_STATEMENT}, see docs/decisions.md "The write path in one round trip"). A labelled
 * transaction that forgot to do so sees no tenant row at all (the settings are unset: fail closed).
 */
public class TenantScopedTransactionManager extends JdbcTransactionManager {

    static final String SET_CONTEXT =
            "select set_config('app.current_tenant_id', ?, true), set_config('app.current_user_id', ?, true)";

    /** The label of transactions whose first statement binds the tenant context itself. */
    public static final String CONTEXT_IN_FIRST_STATEMENT = "tenant-context-in-first-statement";

    /**
     * The statement that binds the context, with named parameters {@code :ctx_tenant} and {@code :ctx_user}
     * ({@link #contextParams}), ending in {@code ;}: put it in front of a transaction's first statement. The
     * driver sends both in one round trip, and PostgreSQL runs them in order, so every row-level security
     * check of the second statement sees the context.
     *
     * <p>It returns one {@code int4}, not the two settings' text: pgjdbc sends a Sync between the statements of
     * one query once they are server-prepared (from a connection's 5th use) if it cannot bound the size of
     * their result rows (any {@code text} or {@code jsonb} column), to keep its receive buffer from filling.
     * Outside a transaction that Sync commits the context statement's implicit transaction on its own, and the
     * next statement runs without the context (row-level security then hides every row: it fails closed).
     * A statement sent after this one outside a transaction must return fixed-size columns only, too.
     */
    public static final String CONTEXT_STATEMENT = "select length(set_config('app.current_tenant_id', :ctx_tenant, true))"
            + " + length(set_config('app.current_user_id', :ctx_user, true)) as context_bound;\n";

    /** The parameters of {@link #CONTEXT_STATEMENT} for the current scope ('' outside any: fail closed). */
    public static Map<String, Object> contextParams() {
        TenantContext context = TenantScope.current().orElse(null);
        return Map.of("ctx_tenant", context == null ? "" : context.tenantId().toString(),
                "ctx_user", context == null ? "" : context.userId().toString());
    }
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

    /**
     * Transactions of this template are labelled {@link #CONTEXT_IN_FIRST_STATEMENT}: their first statement must
     * start with {@link #CONTEXT_STATEMENT}.
     */
    public static TransactionTemplate contextInFirstStatement(PlatformTransactionManager transactionManager) {
        return new ContextInFirstStatementTemplate(transactionManager);
    }

    private static final class ContextInFirstStatementTemplate extends TransactionTemplate {
        private static final long serialVersionUID = 1L;

        ContextInFirstStatementTemplate(PlatformTransactionManager transactionManager) {
            super(transactionManager);
        }
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
        if (definition instanceof ContextInFirstStatementTemplate
                || definition instanceof TransactionAttribute attribute
                        && attribute.getLabels().contains(CONTEXT_IN_FIRST_STATEMENT)) {
            return;
        }
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
