package io.virtdevice.platform.database;

import io.virtdevice.testing.Fixtures.TestUser;
import java.security.SecureRandom;
import java.util.List;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * One row in every tenant table for a user, written as the superuser so that tables the app role cannot
 * write (oauth_tokens) get rows too. The user's tenant, user and subscription rows already exist from
 * sign-up, and the fixture's API key.
 */
record TenantRows(TestUser user, UUID deviceId) {

    /** Every table the isolation tests cover, each with rows for every seeded user. */
    static final List<String> TABLES = List.of("devices", "device_properties", "device_events", "api_keys",
            "url_triggers", "activity_logs", "users", "tenants", "subscriptions", "webhooks",
            "ifttt_trigger_subscriptions", "alexa_lwa_tokens", "oauth_tokens", "oauth_authorizations", "oauth_consents",
            "webhook_deliveries", "event_failures", "alexa_event_outbox", "ifttt_realtime_notices");

    private static final SecureRandom RANDOM = new SecureRandom();

    /** The column that names a row's tenant. */
    static String tenantColumn(String table) {
        return table.equals("tenants") ? "id" : "tenant_id";
    }

    static TenantRows seed(JdbcClient superuser, TestUser user) {
        UUID device = superuser.sql("""
                        insert into devices (tenant_id, user_id, name, friendly_name, device_type)
                        values (:t, :u, 'Lamp', 'Lamp', 'switch') returning id
                        """)
                .param("t", user.tenantId()).param("u", user.userId())
                .query(UUID.class).single();
        statement(superuser, user, device, """
                insert into device_properties (tenant_id, user_id, device_id, name, value, data_type)
                values (:t, :u, :d, 'on', 'true', 'boolean')
                """);
        statement(superuser, user, device, """
                insert into device_events (tenant_id, user_id, device_id, kind, source, device_version)
                values (:t, :u, :d, 'device.created', 'api', 1)
                """);
        statement(superuser, user, device, """
                insert into url_triggers (tenant_id, user_id, device_id, name, prefix, token_hash)
                values (:t, :u, :d, 'Shortcut', 'vdt_seed', :hash)
                """);
        statement(superuser, user, device, """
                insert into activity_logs (tenant_id, user_id, device_id, action, source)
                values (:t, :u, :d, 'device.created', 'api')
                """);
        UUID webhook = superuser.sql("""
                        insert into webhooks (tenant_id, user_id, device_id, url, events, secret_enc)
                        values (:t, :u, :d, 'https://hooks.example.test/in', '{device.updated}', '\\x00'::bytea)
                        returning id
                        """)
                .param("t", user.tenantId()).param("u", user.userId()).param("d", device)
                .query(UUID.class).single();
        superuser.sql("""
                        insert into webhook_deliveries (id, tenant_id, user_id, webhook_id, msg_id, event_type, payload,
                                                        max_attempts)
                        select i, :t, :u, :w, 'msg_' || replace(i::text, '-', ''), 'webhook.test', '{}', 1
                          from gen_random_uuid() i
                        """)
                .param("t", user.tenantId()).param("u", user.userId()).param("w", webhook)
                .update();
        // a dead letter of a consumer that does not exist: the relay never touches it
        statement(superuser, user, device, """
                insert into event_failures (tenant_id, user_id, consumer, event_id, event_seq, event_type, device_id,
                                            status, attempts, error)
                values (:t, :u, 'rls-seed', gen_random_uuid(), 1, 'device.created', :d, 'dead', 1, 'seeded')
                """);
        statement(superuser, user, device, """
                insert into alexa_event_outbox (id, tenant_id, user_id, device_id, endpoint_id, kind, body,
                                                last_event_seq, first_change_at, last_change_at, status)
                values (gen_random_uuid(), :t, :u, :d, 'vd_seed', 'DeleteReport', '{}', 1, now(), now(), 'sent')
                """);
        statement(superuser, user, device, """
                insert into ifttt_trigger_subscriptions (tenant_id, user_id, trigger_type, trigger_identity)
                values (:t, :u, 'device_turned_on', 'identity-' || :d)
                """);
        statement(superuser, user, device, """
                insert into ifttt_realtime_notices (tenant_id, user_id, subscription_id, trigger_identity, due_at)
                select :t, :u, s.id, s.trigger_identity, now() + interval '1 day'
                  from ifttt_trigger_subscriptions s where s.user_id = :u and s.trigger_identity = 'identity-' || :d
                """);
        statement(superuser, user, device, """
                insert into alexa_lwa_tokens (tenant_id, user_id, access_token_enc, refresh_token_enc, access_token_expires_at)
                values (:t, :u, '\\x01'::bytea, '\\x02'::bytea, now() + interval '1 hour')
                """);
        UUID client = superuser.sql("""
                        insert into oauth_clients (client_id, name, type, redirect_uris)
                        values ('client-' || gen_random_uuid(), 'Test client', 'web', '{https://client.example.test/cb}')
                        returning id
                        """)
                .query(UUID.class).single();
        UUID grant = superuser.sql("""
                        insert into oauth_authorizations (id, tenant_id, user_id, client_id, client_type, requested_scopes)
                        values (gen_random_uuid(), :t, :u, :c, 'web', '{read}') returning id
                        """)
                .param("t", user.tenantId()).param("u", user.userId()).param("c", client)
                .query(UUID.class).single();
        superuser.sql("""
                        insert into oauth_tokens (tenant_id, user_id, client_id, family_id, access_token_hash,
                                                  access_token_expires_at)
                        values (:t, :u, :c, :grant, :hash, now() + interval '1 hour')
                        """)
                .param("t", user.tenantId()).param("u", user.userId()).param("c", client).param("grant", grant)
                .param("hash", hash())
                .update();
        superuser.sql("""
                        insert into oauth_consents (tenant_id, user_id, client_id, scopes) values (:t, :u, :c, '{read}')
                        """)
                .param("t", user.tenantId()).param("u", user.userId()).param("c", client)
                .update();
        return new TenantRows(user, device);
    }

    static byte[] hash() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    private static void statement(JdbcClient superuser, TestUser user, UUID device, String sql) {
        JdbcClient.StatementSpec spec = superuser.sql(sql).param("t", user.tenantId()).param("u", user.userId())
                .param("d", device);
        if (sql.contains(":hash")) {
            spec = spec.param("hash", hash());
        }
        spec.update();
    }
}
