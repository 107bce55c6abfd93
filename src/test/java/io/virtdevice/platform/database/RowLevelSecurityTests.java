package io.virtdevice.platform.database;

import static io.virtdevice.testing.TestDatabase.refusal;
import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.platform.web.DatabaseErrors;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.Fixtures.TestUser;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TestDatabase;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Tenant isolation enforced by PostgreSQL itself, checked as the app role through the app's pool and
 * transaction manager: user A (tenant 1) and user B (tenant 2) each have a row in every tenant table.
 */
@IntegrationTest
class RowLevelSecurityTests {

    /** An insert of a whole row into each table; :t, :u and :d are the tenant, user and device it names. */
    static final Map<String, String> INSERTS = Map.ofEntries(
            Map.entry("devices", """
                    insert into devices (tenant_id, user_id, name, friendly_name, device_type)
                    values (:t, :u, 'Forged', 'Forged', 'switch')"""),
            Map.entry("device_properties", """
                    insert into device_properties (tenant_id, user_id, device_id, name, value, data_type)
                    values (:t, :u, :d, 'forged', 'true', 'boolean')"""),
            Map.entry("device_events", """
                    insert into device_events (tenant_id, user_id, device_id, kind, source, device_version)
                    values (:t, :u, :d, 'device.updated', 'api', 2)"""),
            Map.entry("api_keys", """
                    insert into api_keys (tenant_id, user_id, name, prefix, token_hash, scopes)
                    values (:t, :u, 'forged', 'vdk_forged', sha256(gen_random_uuid()::text::bytea), '{read}')"""),
            Map.entry("url_triggers", """
                    insert into url_triggers (tenant_id, user_id, device_id, name, prefix, token_hash)
                    values (:t, :u, :d, 'forged', 'vdt_forged', sha256(gen_random_uuid()::text::bytea))"""),
            Map.entry("activity_logs", """
                    insert into activity_logs (tenant_id, user_id, device_id, action, source)
                    values (:t, :u, :d, 'device.updated', 'api')"""),
            Map.entry("users", """
                    insert into users (tenant_id, email, role)
                    values (:t, 'forged-' || gen_random_uuid() || '@example.test', 'owner')"""),
            Map.entry("tenants", """
                    insert into tenants (id, name, slug) values (:t, 'Forged', 'forged-' || gen_random_uuid())"""),
            Map.entry("subscriptions", """
                    insert into subscriptions (tenant_id, user_id, max_devices) values (:t, :u, 300)"""),
            Map.entry("webhooks", """
                    insert into webhooks (tenant_id, user_id, device_id, url, events, secret_enc)
                    values (:t, :u, :d, 'https://attacker.example.test/', '{device.updated}', '\\x00'::bytea)"""),
            Map.entry("ifttt_trigger_subscriptions", """
                    insert into ifttt_trigger_subscriptions (tenant_id, user_id, trigger_type, trigger_identity)
                    values (:t, :u, 'device_turned_on', 'forged-' || gen_random_uuid())"""),
            Map.entry("ifttt_realtime_notices", """
                    insert into ifttt_realtime_notices (tenant_id, user_id, subscription_id, trigger_identity, due_at)
                    values (:t, :u, gen_random_uuid(), 'forged', now())"""),
            Map.entry("alexa_lwa_tokens", """
                    insert into alexa_lwa_tokens (tenant_id, user_id, access_token_enc, refresh_token_enc,
                                                  access_token_expires_at, region)
                    values (:t, :u, '\\x01'::bytea, '\\x02'::bytea, now(), 'EU')"""),
            Map.entry("oauth_tokens", """
                    insert into oauth_tokens (tenant_id, user_id, client_id, family_id, access_token_hash,
                                              access_token_expires_at)
                    values (:t, :u, gen_random_uuid(), gen_random_uuid(), sha256(gen_random_uuid()::text::bytea), now())"""),
            Map.entry("oauth_authorizations", """
                    insert into oauth_authorizations (id, tenant_id, user_id, client_id, client_type, requested_scopes)
                    values (gen_random_uuid(), :t, :u, gen_random_uuid(), 'web', '{read}')"""),
            Map.entry("oauth_consents", """
                    insert into oauth_consents (tenant_id, user_id, client_id, scopes)
                    values (:t, :u, gen_random_uuid(), '{read}')"""),
            Map.entry("webhook_deliveries", """
                    insert into webhook_deliveries (id, tenant_id, user_id, webhook_id, msg_id, event_type, payload,
                                                    max_attempts)
                    select i, :t, :u, gen_random_uuid(), 'msg_' || replace(i::text, '-', ''), 'webhook.test', '{}', 1
                      from gen_random_uuid() i"""),
            Map.entry("event_failures", """
                    insert into event_failures (tenant_id, user_id, consumer, event_id, event_seq, event_type, status)
                    values (:t, :u, 'rls-forged', gen_random_uuid(), 1, 'device.created', 'dead')"""),
            Map.entry("alexa_event_outbox", """
                    insert into alexa_event_outbox (id, tenant_id, user_id, device_id, endpoint_id, kind, body,
                                                    last_event_seq, first_change_at, last_change_at)
                    values (gen_random_uuid(), :t, :u, :d, 'vd_forged', 'DeleteReport', '{}', 1, now(), now())"""));

    /** Tables the app role may insert into at all: there RLS WITH CHECK is what refuses a forged row. */
    static final Set<String> INSERTABLE = Set.of("devices", "device_properties", "device_events",
            "api_keys", "url_triggers", "activity_logs", "webhooks", "ifttt_trigger_subscriptions", "alexa_lwa_tokens",
            "oauth_tokens", "oauth_authorizations", "oauth_consents", "webhook_deliveries", "event_failures",
            "alexa_event_outbox", "ifttt_realtime_notices");

    @Autowired
    ApplicationContext context;

    @Autowired
    PasswordHasher hasher;

    TestDatabase db;
    TenantRows a;
    TenantRows b;

    @BeforeEach
    void twoTenantsWithARowInEveryTable() {
        db = TestDatabase.of(context);
        Fixtures fixtures = new Fixtures(db.dataSource(), hasher);
        a = TenantRows.seed(db.superuser(), fixtures.owner());
        b = TenantRows.seed(db.superuser(), fixtures.owner());
    }

    static Stream<String> tables() {
        return TenantRows.TABLES.stream();
    }

    @ParameterizedTest
    @MethodSource("tables")
    void showsAUserTheirOwnTenantsRowsAndNoOtherTenants(String table) {
        String column = TenantRows.tenantColumn(table);
        long own = db.as(a.user().context(), jdbc -> count(jdbc, table, column + " = :tenant", a.user().tenantId()));
        long others = db.as(a.user().context(), jdbc -> count(jdbc, table, column + " <> :tenant", a.user().tenantId()));
        long bs = db.as(a.user().context(), jdbc -> count(jdbc, table, column + " = :tenant", b.user().tenantId()));

        assertThat(own).as("A's own rows in " + table).isPositive();
        assertThat(others).as("rows of any other tenant in " + table).isZero();
        assertThat(bs).as("B's rows in " + table).isZero();
        assertThat(count(db.superuser(), table, column + " = :tenant", b.user().tenantId()))
                .as("B's rows exist").isPositive();
    }

    @ParameterizedTest
    @MethodSource("tables")
    void showsNoRowsAndRaisesNoErrorWithoutContext(String table) {
        long inTransaction = db.withoutContext(jdbc -> jdbc.sql("select count(*) from " + table).query(Long.class).single());

        assertThat(inTransaction).as(table + " in a transaction without context").isZero();
        assertThat(db.appWithoutTransaction().sql("select count(*) from " + table).query(Long.class).single())
                .as(table + " outside any transaction").isZero();
    }

    @ParameterizedTest
    @MethodSource("tables")
    void refusesARowStampedWithAnotherTenantsIds(String table) {
        long before = count(db.superuser(), table, TenantRows.tenantColumn(table) + " = :tenant", b.user().tenantId());

        DatabaseErrors error = refusal(() -> db.runAs(a.user().context(), jdbc -> jdbc.sql(INSERTS.get(table))
                .param("t", b.user().tenantId())
                .param("u", b.user().userId())
                .param("d", b.deviceId())
                .update()));

        assertThat(error.sqlState()).as(table).isEqualTo("42501");
        if (INSERTABLE.contains(table)) {
            assertThat(error.message()).as(table).contains("row-level security");
        }
        assertThat(count(db.superuser(), table, TenantRows.tenantColumn(table) + " = :tenant", b.user().tenantId()))
                .isEqualTo(before);
    }

    @Test
    void refusesADeviceOfTheOwnUserStampedWithAnotherTenant() {
        DatabaseErrors error = refusal(() -> db.runAs(a.user().context(), jdbc -> jdbc.sql(INSERTS.get("devices"))
                .param("t", b.user().tenantId())
                .param("u", a.user().userId())
                .update()));

        assertThat(error.sqlState()).isEqualTo("42501");
    }

    @ParameterizedTest
    @ValueSource(strings = {"device_properties", "url_triggers", "webhooks"})
    void refusesPointingAnOwnRowAtAnotherTenantsDevice(String table) {
        // the row passes RLS (it is A's), so only the composite foreign key stands in the way (D-06)
        DatabaseErrors error = refusal(() -> db.runAs(a.user().context(), jdbc -> jdbc.sql(INSERTS.get(table))
                .param("t", a.user().tenantId())
                .param("u", a.user().userId())
                .param("d", b.deviceId())
                .update()));

        assertThat(error.sqlState()).isEqualTo("23503");
    }

    @Test
    void refusesAWebhookOfAOnBsDeviceEvenFromTheSuperuser() {
        DatabaseErrors error = refusal(() -> db.superuser().sql(INSERTS.get("webhooks"))
                .param("t", a.user().tenantId())
                .param("u", a.user().userId())
                .param("d", b.deviceId())
                .update());

        assertThat(error.sqlState()).isEqualTo("23503");
        assertThat(error.constraint()).isEqualTo("webhooks_tenant_id_user_id_device_id_fkey");
    }

    @Test
    void refusesADeviceWhoseTenantIsNotItsUsersEvenFromTheSuperuser() {
        // D-07: tenant_id is tied to user_id by the composite key to users (tenant_id, id)
        DatabaseErrors error = refusal(() -> db.superuser().sql(INSERTS.get("devices"))
                .param("t", b.user().tenantId())
                .param("u", a.user().userId())
                .update());

        assertThat(error.sqlState()).isEqualTo("23503");
    }

    @Test
    void hidesAnotherTenantsRowsFromUpdatesAndDeletes() {
        int updated = db.as(a.user().context(), jdbc -> jdbc.sql("update devices set name = 'Hijacked' where id = :id")
                .param("id", b.deviceId())
                .update());
        int deleted = db.as(a.user().context(), jdbc -> jdbc.sql("delete from devices where id = :id")
                .param("id", b.deviceId())
                .update());

        assertThat(updated).isZero();
        assertThat(deleted).isZero();
        assertThat(db.superuser().sql("select name from devices where id = :id").param("id", b.deviceId())
                .query(String.class).single()).isEqualTo("Lamp");
    }

    static long count(JdbcClient jdbc, String table, String condition, UUID tenant) {
        return jdbc.sql("select count(*) from " + table + " where " + condition)
                .param("tenant", tenant)
                .query(Long.class)
                .single();
    }
}
