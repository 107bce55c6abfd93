-- bench/scale.sh's bulk load: fills a migrated VirtDevice database, whose bench user (:'bu') already has
-- its 300 devices, a webhook, an event and an activity entry made through the app, with other tenants'
-- data cloned from those rows, set-based (generate_series), so every row looks like one the app wrote.
-- psql variables: bu (bench user id), tenants, users, devices, webhooks, alexa, ifttt. (The change events
-- and activity entries are loaded partition by partition by bench/scale.sh itself.)
-- Run as a superuser: RLS is bypassed, and triggers and foreign-key checks are off for the load
-- (session_replication_role = replica: the rows are consistent by construction).
\set ON_ERROR_STOP 1
SET session_replication_role = replica;
SET synchronous_commit = off;
SET maintenance_work_mem = '512MB';

CREATE TEMP TABLE tpl_dev AS
SELECT (row_number() OVER (ORDER BY created_at, id) - 1)::int AS n, d.*
  FROM devices d WHERE d.user_id = :'bu';
SELECT count(*) AS tpl_count FROM tpl_dev \gset

\timing on
INSERT INTO tenants (id, name, slug, created_at, updated_at)
SELECT md5('scale-t' || g)::uuid, 'Scale tenant ' || g, 'scale-t-' || g, now() - interval '400 days', now()
  FROM generate_series(0, :tenants - 1) g;
INSERT INTO users (id, tenant_id, email, name, role, email_verified, created_at, updated_at)
SELECT md5('scale-u' || g)::uuid, md5('scale-t' || (g % :tenants))::uuid, 'scale-u-' || g || '@example.test',
       'User ' || g, CASE WHEN g < :tenants THEN 'owner' ELSE 'member' END::user_role, true,
       now() - interval '400 days', now()
  FROM generate_series(0, :users - 1) g;
INSERT INTO subscriptions (tenant_id, user_id, max_devices)
SELECT md5('scale-t' || (g % :tenants))::uuid, md5('scale-u' || g)::uuid, 10
  FROM generate_series(0, :users - 1) g;
-- device g belongs to user g % users (5 each on average) and clones the bench user's device g % 300
INSERT INTO devices (id, tenant_id, user_id, name, friendly_name, device_type, description, manufacturer, model,
                     alexa_endpoint_id, alexa_display_categories, alexa_capabilities, ifttt_device_id, is_online,
                     last_state_change, metadata, version, created_at, updated_at, momentary, pulse_seconds)
SELECT md5('scale-d' || g)::uuid, md5('scale-t' || ((g % :users) % :tenants))::uuid, md5('scale-u' || (g % :users))::uuid,
       'Device ' || g, 'Device ' || g, t.device_type, t.description, t.manufacturer, t.model,
       'vd_' || md5('scale-a' || g), t.alexa_display_categories, t.alexa_capabilities, 'vd_' || md5('scale-i' || g),
       true, now() - interval '1 day', t.metadata, 1, now() - interval '300 days', now(), t.momentary, t.pulse_seconds
  FROM generate_series(0, :devices - 1) g JOIN tpl_dev t ON t.n = g % :tpl_count;
INSERT INTO device_properties (tenant_id, user_id, device_id, name, value, data_type, min_value, max_value,
                               allowed_values, unit, alexa_interface, alexa_property_name, last_changed_by,
                               last_changed_at, created_at)
SELECT md5('scale-t' || ((g % :users) % :tenants))::uuid, md5('scale-u' || (g % :users))::uuid, md5('scale-d' || g)::uuid,
       p.name, p.value, p.data_type, p.min_value, p.max_value, p.allowed_values, p.unit, p.alexa_interface,
       p.alexa_property_name, p.last_changed_by, now() - interval '1 day', now() - interval '300 days'
  FROM generate_series(0, :devices - 1) g JOIN tpl_dev t ON t.n = g % :tpl_count
  JOIN device_properties p ON p.device_id = t.id;
INSERT INTO webhooks (tenant_id, user_id, url, events, secret_enc, headers, created_at, updated_at)
SELECT md5('scale-t' || ((g % :users) % :tenants))::uuid, md5('scale-u' || (g % :users))::uuid,
       'https://hooks.example.test/scale/' || g, w.events, w.secret_enc, w.headers, now() - interval '200 days', now()
  FROM generate_series(0, :webhooks - 1) g, (SELECT * FROM webhooks WHERE user_id = :'bu' LIMIT 1) w;
INSERT INTO alexa_lwa_tokens (tenant_id, user_id, access_token_enc, refresh_token_enc, access_token_expires_at,
                              scope, region, status, linked_at)
-- (sealed tokens the app never opens: these users make no changes, so nothing is sent for them)
SELECT md5('scale-t' || (g % :tenants))::uuid, md5('scale-u' || g)::uuid, decode(repeat('00', 60), 'hex'),
       decode(repeat('00', 60), 'hex'), now() + interval '1 hour',
       'alexa::async_event:write', 'NA', 'active', now() - interval '100 days'
  FROM generate_series(0, :alexa - 1) g;
INSERT INTO ifttt_trigger_subscriptions (tenant_id, user_id, trigger_type, trigger_fields, trigger_identity,
                                         last_polled_at, created_at, updated_at)
SELECT md5('scale-t' || ((g % :users) % :tenants))::uuid, md5('scale-u' || (g % :users))::uuid, 'device_turned_on',
       jsonb_build_object('device', 'vd_' || md5('scale-i' || g)), 'scale-' || g, now() - interval '5 minutes',
       now() - interval '100 days', now()
  FROM generate_series(0, :ifttt - 1) g;

