-- Data for the upgrade test (MigrationUpgradeTests), written against the schema of released version 7
-- (release 2026-12-03-issue-9: V002-V007) and NEVER edited afterwards: it is what a database of that release
-- holds, so every later release must upgrade it with every row intact. Run as the superuser (row-level
-- security aside). Later releases add their own v<N>-fill.sql next to this one instead of changing it.
--
-- The same homes as v1-fill.sql (the same ids, API key and password: the test signs in with them), in the
-- V007 schema, plus what V002-V007 added: device events naming the device's Alexa endpoint and IFTTT ids
-- (V004) in the partitioned device_events (V003), a POST-only URL trigger (V005), webhook deliveries with
-- the stable message id derived from (webhook, event) and a lease owner (V002), a dead letter of the
-- webhooks consumer and its position at the last event (V007).
--
-- Tenant "Upgrade Home": owner Ada (password 'upgrade test password 2026', API key
-- vdk_upgrade_v1_0000000000000000000000000000000000000, a switch, a dimmer, trigger links, a webhook with
-- deliveries, an OAuth grant with a token pair, a remembered consent, Alexa and IFTTT links) and member
-- Bob. Tenant "Other Home": owner Cy with a device, so isolation holds after the upgrade too.

INSERT INTO tenants (id, name, slug, settings, created_at, updated_at) VALUES
    ('10000000-0000-4000-8000-000000000001', 'Upgrade Home', 'upgrade-home', '{"locale": "en"}',
     now() - interval '40 days', now() - interval '40 days'),
    ('10000000-0000-4000-8000-000000000002', 'Other Home', 'other-home', '{}',
     now() - interval '30 days', now() - interval '30 days');

INSERT INTO users (id, tenant_id, email, name, role, email_verified, last_login_at, settings, created_at, updated_at) VALUES
    ('20000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001', 'ada@upgrade.example.test',
     'Ada', 'owner', true, now() - interval '1 day', '{"theme": "dark"}', now() - interval '40 days', now() - interval '1 day'),
    ('20000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000001', 'bob@upgrade.example.test',
     'Bob', 'member', true, NULL, '{}', now() - interval '20 days', now() - interval '20 days'),
    ('20000000-0000-4000-8000-000000000003', '10000000-0000-4000-8000-000000000002', 'cy@upgrade.example.test',
     'Cy', 'owner', false, NULL, '{}', now() - interval '30 days', now() - interval '30 days');

-- the password of all three: 'upgrade test password 2026'
INSERT INTO user_credentials (user_id, tenant_id, password_hash, password_changed_at)
SELECT id, tenant_id, '$argon2id$v=19$m=19456,t=2,p=1$74STVEgV4Emah0dfjZB59A$f0dVGnVWi8LGkOa5yOEJMgmdZ2F6RQSxYRGjIEpVaIk',
       created_at
  FROM users;

INSERT INTO subscriptions (id, tenant_id, user_id, tier, status, max_devices, features, created_at, updated_at) VALUES
    ('30000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001',
     '20000000-0000-4000-8000-000000000001', 'pro', 'active', 50, '{"webhooks": true}', now() - interval '40 days', now() - interval '40 days'),
    ('30000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000001',
     '20000000-0000-4000-8000-000000000002', 'free', 'active', 2, '{}', now() - interval '20 days', now() - interval '20 days'),
    ('30000000-0000-4000-8000-000000000003', '10000000-0000-4000-8000-000000000002',
     '20000000-0000-4000-8000-000000000003', 'free', 'active', 2, '{}', now() - interval '30 days', now() - interval '30 days');

INSERT INTO auth_tokens (id, tenant_id, user_id, kind, token_hash, expires_at, consumed_at, created_at) VALUES
    ('31000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000002',
     '20000000-0000-4000-8000-000000000003', 'email_verification', sha256(convert_to('verify-cy', 'UTF8')),
     now() + interval '1 day', NULL, now() - interval '1 hour');

INSERT INTO invitations (id, tenant_id, email, role, invited_by, token_hash, expires_at, created_at) VALUES
    ('32000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001', 'dee@upgrade.example.test',
     'admin', '20000000-0000-4000-8000-000000000001', sha256(convert_to('invite-dee', 'UTF8')),
     now() + interval '6 days', now() - interval '1 day');

INSERT INTO security_events (kind, email, ip_address, created_at) VALUES
    ('login_succeeded', 'ada@upgrade.example.test', '192.0.2.10', now() - interval '1 day'),
    ('login_failed', 'cy@upgrade.example.test', '192.0.2.11', now() - interval '2 hours');

INSERT INTO devices (id, tenant_id, user_id, name, friendly_name, device_type, description, model,
                     alexa_endpoint_id, alexa_display_categories, ifttt_device_id, last_state_change, version,
                     created_at, updated_at) VALUES
    ('40000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001',
     '20000000-0000-4000-8000-000000000001', 'Hall lamp', 'Hall lamp', 'switch', 'by the door', NULL,
     'vd_upgradehalllamp', '{SWITCH}', 'vd_upgradehalllamp_ifttt', now() - interval '2 days', 2,
     now() - interval '39 days', now() - interval '2 days'),
    ('40000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000001',
     '20000000-0000-4000-8000-000000000001', 'Desk light', 'Desk light', 'dimmer', NULL, NULL,
     'vd_upgradedesklight', '{LIGHT}', 'vd_upgradedesklight_ifttt', NULL, 1,
     now() - interval '38 days', now() - interval '38 days'),
    ('40000000-0000-4000-8000-000000000003', '10000000-0000-4000-8000-000000000002',
     '20000000-0000-4000-8000-000000000003', 'Garage', 'Garage door', 'contact_sensor', NULL, NULL,
     'vd_upgradegarage', '{CONTACT_SENSOR}', 'vd_upgradegarage_ifttt', NULL, 1,
     now() - interval '29 days', now() - interval '29 days');

INSERT INTO device_properties (tenant_id, user_id, device_id, name, value, data_type, min_value, max_value,
                               unit, alexa_interface, alexa_property_name, last_changed_by, last_changed_at, created_at) VALUES
    ('10000000-0000-4000-8000-000000000001', '20000000-0000-4000-8000-000000000001', '40000000-0000-4000-8000-000000000001',
     'power', 'true', 'boolean', NULL, NULL, NULL, 'Alexa.PowerController', 'powerState', 'api',
     now() - interval '2 days', now() - interval '39 days'),
    ('10000000-0000-4000-8000-000000000001', '20000000-0000-4000-8000-000000000001', '40000000-0000-4000-8000-000000000002',
     'power', 'false', 'boolean', NULL, NULL, NULL, 'Alexa.PowerController', 'powerState', 'web',
     now() - interval '38 days', now() - interval '38 days'),
    ('10000000-0000-4000-8000-000000000001', '20000000-0000-4000-8000-000000000001', '40000000-0000-4000-8000-000000000002',
     'brightness', '100', 'integer', 0, 100, 'percent', 'Alexa.BrightnessController', 'brightness', 'web',
     now() - interval '38 days', now() - interval '38 days'),
    ('10000000-0000-4000-8000-000000000002', '20000000-0000-4000-8000-000000000003', '40000000-0000-4000-8000-000000000003',
     'contact', 'false', 'boolean', NULL, NULL, NULL, 'Alexa.ContactSensor', 'detectionState', 'web',
     now() - interval '29 days', now() - interval '29 days');

INSERT INTO device_events (id, tenant_id, user_id, device_id, kind, source, device_version, changes, snapshot,
                           occurred_at, device_name, device_type, alexa_endpoint_id, ifttt_device_id) VALUES
    ('50000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001',
     '20000000-0000-4000-8000-000000000001', '40000000-0000-4000-8000-000000000001', 'device.created', 'web', 1,
     '[]', '{"name": "Hall lamp", "properties": {"power": false}}', now() - interval '39 days', 'Hall lamp', 'switch',
     'vd_upgradehalllamp', 'vd_upgradehalllamp_ifttt'),
    ('50000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000001',
     '20000000-0000-4000-8000-000000000001', '40000000-0000-4000-8000-000000000001', 'property.changed', 'api', 2,
     '[{"property": "power", "old": false, "new": true}]', '{"name": "Hall lamp", "properties": {"power": true}}',
     now() - interval '2 days', 'Hall lamp', 'switch', 'vd_upgradehalllamp', 'vd_upgradehalllamp_ifttt'),
    ('50000000-0000-4000-8000-000000000003', '10000000-0000-4000-8000-000000000002',
     '20000000-0000-4000-8000-000000000003', '40000000-0000-4000-8000-000000000003', 'device.created', 'web', 1,
     '[]', '{"name": "Garage", "properties": {"contact": false}}', now() - interval '29 days', 'Garage', 'contact_sensor',
     'vd_upgradegarage', 'vd_upgradegarage_ifttt'),
    -- the desk light's creation, from before V004 named the device on its events (both ids null)
    ('50000000-0000-4000-8000-000000000004', '10000000-0000-4000-8000-000000000001',
     '20000000-0000-4000-8000-000000000001', '40000000-0000-4000-8000-000000000002', 'device.created', 'web', 1,
     '[]', '{"name": "Desk light", "properties": {"power": false, "brightness": 100}}', now() - interval '38 days',
     'Desk light', 'dimmer', NULL, NULL);
-- a released database has relayed every committed event to its consumers (the webhooks consumer is the only one)
UPDATE event_consumer_positions
   SET seq = (SELECT max(seq) FROM device_events), fence_seq = NULL, fence_holders = NULL, updated_at = now()
 WHERE consumer = 'webhooks';
-- and the events.partitions job has run since V003 created the first ranges: the range of the events from
-- before the relay recorded their writer (empty here) is sealed and dropped, the ranges of the events above are open
SELECT app.ensure_device_event_partitions(10000000, interval '7 days');
SELECT app.drop_expired_device_event_partition(interval '90 days');

INSERT INTO activity_logs (id, tenant_id, user_id, device_id, action, details, source, ip_address, user_agent, created_at) VALUES
    ('60000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001',
     '20000000-0000-4000-8000-000000000001', '40000000-0000-4000-8000-000000000001', 'property_changed',
     '{"device_name": "Hall lamp", "changes": {"power": true}}', 'api', '192.0.2.10', 'curl/8', now() - interval '2 days'),
    ('60000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000001',
     '20000000-0000-4000-8000-000000000001', NULL, 'user_login', '{}', 'web', '192.0.2.10', 'Firefox', now() - interval '1 day');

INSERT INTO api_keys (id, tenant_id, user_id, name, prefix, token_hash, scopes, last_used_at, created_at) VALUES
    ('70000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001',
     '20000000-0000-4000-8000-000000000001', 'Home Assistant', 'vdk_upgrade_',
     sha256(convert_to('vdk_upgrade_v1_0000000000000000000000000000000000000', 'UTF8')), '{read,write}',
     now() - interval '3 days', now() - interval '35 days'),
    ('70000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000001',
     '20000000-0000-4000-8000-000000000002', 'Bob read-only', 'vdk_bobkey__',
     sha256(convert_to('vdk_bob_v1_000000000000000000000000000000000000000', 'UTF8')), '{read}',
     NULL, now() - interval '10 days');

INSERT INTO url_triggers (id, tenant_id, user_id, device_id, name, prefix, token_hash, property, value,
                          last_used_at, use_count, created_at, post_only) VALUES
    ('71000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001',
     '20000000-0000-4000-8000-000000000001', '40000000-0000-4000-8000-000000000001', 'Lamp on', 'vdt_upgrade_',
     sha256(convert_to('vdt_upgrade_v1_0000000000000000000000000000000000000', 'UTF8')), 'power', 'true',
     now() - interval '2 days', 7, now() - interval '30 days', false),
    -- fires on POST only (V005): a GET answers 405
    ('71000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000001',
     '20000000-0000-4000-8000-000000000001', '40000000-0000-4000-8000-000000000001', 'Lamp off', 'vdt_upgrad7_',
     sha256(convert_to('vdt_upgrade_v7_0000000000000000000000000000000000000', 'UTF8')), 'power', 'false',
     NULL, 0, now() - interval '1 day', true);

INSERT INTO webhooks (id, tenant_id, user_id, device_id, url, events, secret_enc, headers, enabled,
                      last_triggered_at, last_status_code, failure_count, created_at, updated_at,
                      previous_secret_enc, previous_secret_expires_at, secret_rotated_at) VALUES
    ('80000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001',
     '20000000-0000-4000-8000-000000000001', NULL, 'https://hooks.upgrade.example.test/in',
     '{property.changed,device.deleted}', '\x0102030405'::bytea, '{"X-Home": "upgrade"}', true,
     now() - interval '2 days', 204, 0, now() - interval '30 days', now() - interval '2 days',
     '\x0a0b0c'::bytea, now() + interval '1 day', now() - interval '2 days');

-- An event's message: its id, and so its msg_id (the webhook-id header), derived from (webhook, event) as
-- the staging statement derives them (V002); the first attempt was leased to the process with lease owner
-- 7301 and recorded (lease_until cleared, lease_owner kept). A test message has a random id.
INSERT INTO webhook_deliveries (id, tenant_id, user_id, webhook_id, event_id, msg_id, event_type, payload, status,
                                attempts, max_attempts, last_attempt_at, http_status, latency_ms, response_excerpt,
                                created_at, updated_at, lease_until, lease_owner)
SELECT d.id, '10000000-0000-4000-8000-000000000001', '20000000-0000-4000-8000-000000000001', d.webhook_id, d.event_id,
       'msg_' || replace(d.id::text, '-', ''), 'property.changed',
       '{"type":"property.changed","device":{"id":"40000000-0000-4000-8000-000000000001"}}', 'succeeded',
       1, 8, now() - interval '2 days', 204, 42, '', now() - interval '2 days', now() - interval '2 days', NULL, 7301
  FROM (SELECT cast(md5('webhook-message:' || w || ':' || e) AS uuid) AS id, cast(w AS uuid) AS webhook_id,
               cast(e AS uuid) AS event_id
          FROM (VALUES ('80000000-0000-4000-8000-000000000001', '50000000-0000-4000-8000-000000000002')) v (w, e)) d;
INSERT INTO webhook_deliveries (id, tenant_id, user_id, webhook_id, event_id, msg_id, event_type, payload, status,
                                attempts, max_attempts, last_attempt_at, http_status, latency_ms, response_excerpt,
                                created_at, updated_at) VALUES
    ('81000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000001',
     '20000000-0000-4000-8000-000000000001', '80000000-0000-4000-8000-000000000001',
     NULL, 'msg_81000000000040008000000000000002', 'webhook.test',
     '{"type":"webhook.test"}', 'failed', 8, 8, now() - interval '3 days', 500, 120, 'oops',
     now() - interval '4 days', now() - interval '3 days');

-- A dead letter (V007): the webhooks consumer gave up staging the desk light's creation for Ada.
INSERT INTO event_failures (id, tenant_id, user_id, consumer, event_id, event_seq, event_type, device_id, status,
                            attempts, error, first_failed_at, last_failed_at, next_attempt_at, created_at)
SELECT '82000000-0000-4000-8000-000000000001', e.tenant_id, e.user_id, 'webhooks', e.id, e.seq, e.kind, e.device_id,
       'dead', 10, 'staging failed: value too long for type character varying(32)', now() - interval '38 days',
       now() - interval '37 days', now() - interval '37 days', now() - interval '38 days'
  FROM device_events e
 WHERE e.id = '50000000-0000-4000-8000-000000000004';

INSERT INTO oauth_clients (id, client_id, client_secret_hash, name, type, redirect_uris, allowed_scopes,
                           access_token_lifetime, refresh_token_lifetime, created_at, updated_at, require_pkce,
                           secret_updated_at) VALUES
    ('90000000-0000-4000-8000-000000000001', 'upgrade-partner', sha256(convert_to('partner-secret', 'UTF8')),
     'Upgrade partner', 'web', '{https://partner.upgrade.example.test/cb}', '{read,write}', 3600, 0,
     now() - interval '40 days', now() - interval '40 days', true, now() - interval '40 days');

INSERT INTO oauth_authorizations (id, tenant_id, user_id, client_id, client_type, redirect_uri, requested_scopes,
                                  authorized_scopes, code_challenge, code_challenge_method, code_hash,
                                  code_issued_at, code_expires_at, code_consumed_at, created_at) VALUES
    ('91000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001',
     '20000000-0000-4000-8000-000000000001', '90000000-0000-4000-8000-000000000001', 'web',
     'https://partner.upgrade.example.test/cb', '{read,write}', '{read}', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
     'S256', sha256(convert_to('code-1', 'UTF8')), now() - interval '5 days', now() - interval '5 days' + interval '5 minutes',
     now() - interval '5 days', now() - interval '5 days');

INSERT INTO oauth_tokens (id, tenant_id, user_id, client_id, family_id, parent_id, access_token_hash,
                          access_token_expires_at, refresh_token_hash, refresh_token_expires_at, scope,
                          last_used_at, created_at, rotated_at) VALUES
    ('92000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001',
     '20000000-0000-4000-8000-000000000001', '90000000-0000-4000-8000-000000000001',
     '91000000-0000-4000-8000-000000000001', NULL, sha256(convert_to('access-1', 'UTF8')), now() - interval '4 days',
     sha256(convert_to('refresh-1', 'UTF8')), NULL, '{read}', now() - interval '4 days', now() - interval '5 days',
     now() - interval '1 day'),
    ('92000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000001',
     '20000000-0000-4000-8000-000000000001', '90000000-0000-4000-8000-000000000001',
     '91000000-0000-4000-8000-000000000001', '92000000-0000-4000-8000-000000000001',
     sha256(convert_to('access-2', 'UTF8')), now() + interval '1 hour', sha256(convert_to('refresh-2', 'UTF8')), NULL,
     '{read}', NULL, now() - interval '1 day', NULL);

INSERT INTO oauth_consents (tenant_id, user_id, client_id, scopes, created_at, updated_at) VALUES
    ('10000000-0000-4000-8000-000000000001', '20000000-0000-4000-8000-000000000001',
     '90000000-0000-4000-8000-000000000001', '{read}', now() - interval '5 days', now() - interval '5 days');

INSERT INTO alexa_lwa_tokens (id, tenant_id, user_id, access_token_enc, refresh_token_enc, access_token_expires_at,
                              scope, region, created_at, updated_at) VALUES
    ('93000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001',
     '20000000-0000-4000-8000-000000000001', '\x11'::bytea, '\x22'::bytea, now() + interval '1 hour',
     'alexa::async_event:write', 'EU', now() - interval '5 days', now() - interval '5 days');

INSERT INTO ifttt_trigger_subscriptions (id, tenant_id, user_id, trigger_type, trigger_fields, trigger_identity,
                                         enabled, created_at, updated_at) VALUES
    ('94000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001',
     '20000000-0000-4000-8000-000000000001', 'device_turned_on',
     '{"device": "40000000-0000-4000-8000-000000000001"}', 'upgrade-identity-1', true,
     now() - interval '6 days', now() - interval '6 days');
