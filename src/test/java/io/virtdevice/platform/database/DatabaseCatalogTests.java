package io.virtdevice.platform.database;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TestDatabase;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;

/**
 * What the database catalog says about the role the application connects as (security review D-02,
 * D-11, D-14). Every query runs as the app role through the app's own pool.
 */
@IntegrationTest
class DatabaseCatalogTests {

    @Autowired
    ApplicationContext context;

    TestDatabase db;

    @BeforeEach
    void database() {
        db = TestDatabase.of(context);
    }

    @Test
    void connectsAsARoleThatIsNeitherSuperuserNorBypassRls() {
        Map<String, Object> role = db.withoutContext(jdbc -> jdbc.sql("""
                        select current_user as name, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb, rolreplication
                          from pg_roles where rolname = current_user
                        """).query().singleRow());

        assertThat(role).containsEntry("name", "virtdevice_app")
                .containsEntry("rolsuper", false)
                .containsEntry("rolbypassrls", false)
                .containsEntry("rolcreaterole", false)
                .containsEntry("rolcreatedb", false)
                .containsEntry("rolreplication", false);
    }

    @Test
    void connectsAsARoleThatIsMemberOfNoOtherRole() {
        List<String> memberships = db.withoutContext(jdbc -> jdbc.sql("""
                        select r.rolname from pg_roles r
                         where pg_has_role(current_user, r.oid, 'MEMBER') and r.rolname <> current_user
                        """).query(String.class).list());

        assertThat(memberships).isEmpty();
    }

    @Test
    void connectsAsARoleThatOwnsNothing() {
        List<String> owned = db.withoutContext(jdbc -> jdbc.sql("""
                        select 'relation ' || c.oid::regclass from pg_class c where c.relowner = current_user::regrole
                        union all
                        select 'function ' || p.oid::regprocedure from pg_proc p where p.proowner = current_user::regrole
                        union all
                        select 'schema ' || n.nspname from pg_namespace n where n.nspowner = current_user::regrole
                        union all
                        select 'type ' || t.oid::regtype from pg_type t where t.typowner = current_user::regrole
                        union all
                        select 'database ' || d.datname from pg_database d where d.datdba = current_user::regrole
                        """).query(String.class).list());

        assertThat(owned).isEmpty();
    }

    @Test
    void forcesRowLevelSecurityOnEveryTableAndPartitionButTheSystemTables() {
        List<Map<String, Object>> tables = db.withoutContext(jdbc -> jdbc.sql("""
                        select c.relname as name, c.relrowsecurity and c.relforcerowsecurity as forced
                          from pg_class c
                         where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
                        """).query().listOfRows());

        List<Object> unprotected = tables.stream().filter(t -> !(Boolean) t.get("forced")).map(t -> t.get("name")).toList();
        List<Object> names = tables.stream().map(t -> t.get("name")).toList();
        assertThat(names).as("partitions are in scope").contains("activity_logs", "activity_logs_default");
        assertThat(names).as("the documented exceptions exist").containsAll(DatabaseSafetyCheck.SYSTEM_TABLES);
        assertThat(unprotected).as("tables without forced RLS").allMatch(DatabaseSafetyCheck.SYSTEM_TABLES::contains);
    }

    @Test
    void keepsTenantColumnsOutOfTheSystemTables() {
        List<String> columns = db.withoutContext(jdbc -> jdbc.sql("""
                        select table_name || '.' || column_name from information_schema.columns
                         where table_schema = 'public' and table_name = any (:tables)
                           and column_name in ('tenant_id', 'user_id')
                        """).param("tables", DatabaseSafetyCheck.SYSTEM_TABLES.toArray(String[]::new))
                .query(String.class).list());

        assertThat(columns).isEmpty();
    }

    @Test
    void pinsTheSearchPathOfEverySecurityDefinerFunction() {
        List<String> definers = db.withoutContext(jdbc -> jdbc.sql("""
                        select p.oid::regprocedure::text from pg_proc p where p.prosecdef
                        """).query(String.class).list());
        List<String> unpinned = db.withoutContext(jdbc -> jdbc.sql("""
                        select p.oid::regprocedure::text from pg_proc p
                         where p.prosecdef
                           and not exists (select 1 from unnest(p.proconfig) c where c like 'search_path=%')
                        """).query(String.class).list());

        assertThat(definers).contains("app.sign_up(text,text,text,text,text,integer)",
                "app.ensure_activity_partitions(integer)", "app.resolve_api_key(bytea)");
        assertThat(unpinned).isEmpty();
    }

    @Test
    void letsPublicExecuteNoFunctionInSchemaApp() {
        List<String> functions = db.withoutContext(jdbc -> jdbc.sql("""
                        select p.oid::regprocedure::text from pg_proc p where p.pronamespace = 'app'::regnamespace
                        """).query(String.class).list());
        List<String> executableByPublic = db.withoutContext(jdbc -> jdbc.sql("""
                        select p.oid::regprocedure::text from pg_proc p
                         where p.pronamespace = 'app'::regnamespace and has_function_privilege('public', p.oid, 'EXECUTE')
                        """).query(String.class).list());

        assertThat(functions).hasSizeGreaterThan(20);
        assertThat(executableByPublic).isEmpty();
    }

    @Test
    void grantsTheAppRoleNothingOnAnyActivityPartition() {
        List<Map<String, Object>> partitions = db.withoutContext(jdbc -> jdbc.sql("""
                        select c.relname as name,
                               has_table_privilege(current_user, c.oid,
                                   'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER') as table_privilege,
                               has_any_column_privilege(current_user, c.oid, 'SELECT, INSERT, UPDATE, REFERENCES')
                                   as column_privilege
                          from pg_inherits i join pg_class c on c.oid = i.inhrelid
                         where i.inhparent = 'activity_logs'::regclass
                        """).query().listOfRows());

        assertThat(partitions).hasSizeGreaterThanOrEqualTo(5); // default + this month + 3 ahead
        assertThat(partitions).allSatisfy(p -> assertThat(p)
                .as("privileges on " + p.get("name"))
                .containsEntry("table_privilege", false)
                .containsEntry("column_privilege", false));
    }

    @Test
    void namesARoleOnEveryPolicy() {
        // a policy without TO applies to PUBLIC, i.e. also to roles nobody thought of (D-16)
        List<String> publicPolicies = db.withoutContext(jdbc -> jdbc.sql("""
                        select tablename || '.' || policyname from pg_policies
                         where schemaname = 'public' and 'public' = any (roles)
                        """).query(String.class).list());

        assertThat(publicPolicies).isEmpty();
    }

    @Test
    void keepsTheDefinerRoleUnprivilegedAndUnableToLogIn() {
        Map<String, Object> definer = db.withoutContext(jdbc -> jdbc.sql("""
                        select rolsuper, rolbypassrls, rolcanlogin from pg_roles where rolname = 'virtdevice_definer'
                        """).query().singleRow());

        assertThat(definer).containsEntry("rolsuper", false)
                .containsEntry("rolbypassrls", false)
                .containsEntry("rolcanlogin", false);
    }

    @Test
    void passesTheStartupSafetyCheck() {
        assertThat(context.getBean(DatabaseSafetyCheck.class).problems()).isEmpty();
    }

    @Test
    void failsTheStartupSafetyCheckForATableOrPartitionWithoutForcedRowLevelSecurity() {
        db.superuser().sql("create table rls_probe (id integer)").update();
        db.superuser().sql("""
                        create table activity_logs_2099_01 partition of activity_logs
                            for values from ('2099-01-01 00:00:00+00') to ('2099-02-01 00:00:00+00');
                        alter table activity_logs_2099_01 enable row level security
                        """).update();
        try {
            assertThat(context.getBean(DatabaseSafetyCheck.class).problems())
                    .containsExactly("tables without forced row-level security: [activity_logs_2099_01, rls_probe]");
        } finally {
            db.superuser().sql("drop table rls_probe, activity_logs_2099_01").update();
        }
    }
}
