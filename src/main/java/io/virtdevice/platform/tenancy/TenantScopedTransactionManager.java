package io.virtdevice.platform.tenancy;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.transaction.TransactionDefinition;

/**
 * The one place that hands the tenant context to PostgreSQL: right after BEGIN, every transaction runs
 * {@code set_config('app.current_tenant_id', ?, true), set_config('app.current_user_id', ?, true)}.
 * The settings are transaction-local, so nothing leaks to the next user of a pooled connection; without
 * a scope both are set to '' and the policies match no row (fail closed).
 */
public class TenantScopedTransactionManager extends JdbcTransactionManager {

    static final String SET_CONTEXT =
            "select set_config('app.current_tenant_id', ?, true), set_config('app.current_user_id', ?, true)";

    public TenantScopedTransactionManager(DataSource dataSource) {
        super(dataSource);
    }

    @Override
    protected void prepareTransactionalConnection(Connection con, TransactionDefinition definition)
            throws SQLException {
        super.prepareTransactionalConnection(con, definition);
        apply(con, TenantScope.current().orElse(null));
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
        try (PreparedStatement ps = con.prepareStatement(SET_CONTEXT)) {
            ps.setString(1, context == null ? "" : context.tenantId().toString());
            ps.setString(2, context == null ? "" : context.userId().toString());
            ps.execute();
        }
    }
}
