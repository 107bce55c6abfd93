package io.virtdevice.testing;

import io.virtdevice.platform.tenancy.TenantScope;
import io.virtdevice.platform.tenancy.TenantScopedTransactionManager;
import java.util.function.Function;
import javax.sql.DataSource;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Runs SQL as the app role inside one user's tenant context, the way the application does, so tests can
 * check what was (or was not) written under the same row-level security.
 */
public final class TenantSql {

    private final JdbcClient jdbc;
    private final TransactionTemplate tx;

    public TenantSql(DataSource dataSource) {
        this.jdbc = JdbcClient.create(dataSource);
        this.tx = new TransactionTemplate(new TenantScopedTransactionManager(dataSource));
    }

    public <T> T as(Fixtures.TestUser user, Function<JdbcClient, T> work) {
        return TenantScope.call(user.context(), () -> tx.execute(s -> work.apply(jdbc)));
    }

    /** {@code select count(*) ...} with one named parameter {@code :id}. */
    public long count(Fixtures.TestUser user, String sql, Object id) {
        return as(user, jdbc -> jdbc.sql(sql).param("id", id).query(Long.class).single());
    }
}
