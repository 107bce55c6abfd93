package io.virtdevice.platform.database;

import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.flyway.autoconfigure.FlywayMigrationInitializer;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * Refuses to start when row-level security could be bypassed by the role the application connects as
 * (security review D-02): it must not be a superuser or BYPASSRLS (nor a member of such a role), must not
 * own or be able to act as the owner of any table, and every table it can reach must have RLS enabled
 * and forced, except the named system tables that hold no tenant rows.
 */
@Component
class DatabaseSafetyCheck implements InitializingBean {

    /**
     * Tables without tenant rows, read only by the app's own infrastructure ({@code rate_limit_buckets}: token
     * counts under opaque keys, several of them tenantless; docs/decisions.md, "Rate limits").
     */
    static final List<String> SYSTEM_TABLES =
            List.of("flyway_schema_history", "scheduled_tasks", "spring_session", "spring_session_attributes",
                    "device_event_partitions", "event_consumer_positions", "rate_limit_buckets");

    private static final Logger log = LoggerFactory.getLogger(DatabaseSafetyCheck.class);

    private final JdbcClient jdbc;

    DatabaseSafetyCheck(JdbcClient jdbc, ObjectProvider<FlywayMigrationInitializer> migrations) {
        this.jdbc = jdbc;
        migrations.ifAvailable(m -> {}); // the schema must be migrated before it is checked
    }

    @Override
    public void afterPropertiesSet() {
        List<String> problems = problems();
        if (!problems.isEmpty()) {
            throw new IllegalStateException("Refusing to start: the application's database role could bypass "
                    + "row-level security: " + String.join("; ", problems)
                    + ". Connect as a non-owner role without SUPERUSER/BYPASSRLS (see README, Configuration).");
        }
        log.info("Database role check passed: RLS is enforced for the application role");
    }

    List<String> problems() {
        List<String> problems = new java.util.ArrayList<>();
        String role = jdbc.sql("select current_user").query(String.class).single();
        boolean privileged = jdbc.sql("""
                        select coalesce(bool_or(r.rolsuper or r.rolbypassrls), false)
                          from pg_roles r
                         where pg_has_role(current_user, r.oid, 'MEMBER')
                        """)
                .query(Boolean.class)
                .single();
        if (privileged) {
            problems.add("role " + role + " is (or is a member of) a SUPERUSER or BYPASSRLS role");
        }
        List<String> owned = jdbc.sql("""
                        select c.relname from pg_class c
                         where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
                           and pg_has_role(current_user, c.relowner, 'MEMBER')
                         order by 1
                        """)
                .query(String.class)
                .list();
        if (!owned.isEmpty()) {
            problems.add("role " + role + " owns or can act as the owner of " + owned);
        }
        List<String> unprotected = jdbc.sql("""
                        select c.relname from pg_class c
                         where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
                           and not (c.relrowsecurity and c.relforcerowsecurity)
                           and c.relname <> all (:system)
                         order by 1
                        """)
                .param("system", SYSTEM_TABLES.toArray(String[]::new))
                .query(String.class)
                .list();
        if (!unprotected.isEmpty()) {
            problems.add("tables without forced row-level security: " + unprotected);
        }
        return problems;
    }
}
