-- pgbench replay of the database work of one IFTTT trigger poll (POST /ifttt/v1/triggers/device_turned_on of a
-- known identity, limit 50), statement for statement as the application sends them, as the application role
-- under row-level security: the floor the SQL alone sets for bench/ifttt.sh's poll at the same concurrency.
-- bench/ifttt.sh passes :tenant and :user with -D and fills bench.ifttt_switches (n -> the switch's IFTTT id,
-- the same numbering as bench/ifttt-poll.lua, identity 'poll-n'). The path variables are built with
-- jsonb_build_object because pgbench would take the colons of a JSON literal for variables. (Before the device
-- check became one statement, a poll also read the device's full row and then its properties: one more round trip.)
\set n random(1, 300)
BEGIN;
SELECT set_config('app.current_tenant_id', :tenant, true), set_config('app.current_user_id', :user, true);
SELECT id, name, device_type, ifttt_device_id
  FROM devices WHERE ifttt_device_id = (SELECT ifttt_id FROM bench.ifttt_switches WHERE n = :n);
SELECT id, trigger_identity, trigger_type, trigger_fields::text AS trigger_fields, enabled, last_polled_at,
       last_notified_at, last_logged_at, created_at
  FROM ifttt_trigger_subscriptions WHERE user_id = CAST(:user AS uuid) AND trigger_identity = 'poll-' || :n;
SELECT id, seq, tenant_id, user_id, device_id, device_name, device_type, alexa_endpoint_id, ifttt_device_id,
       kind, source, device_version, changes::text AS changes, snapshot::text AS snapshot, occurred_at
  FROM device_events
 WHERE user_id = CAST(:user AS uuid) AND device_id = (SELECT id FROM bench.ifttt_switches WHERE n = :n)
   AND kind = ANY (ARRAY['property.changed', 'doorbell.pressed'])
   AND jsonb_path_exists(changes, CAST('$[*] ? ((@.property == $p0) && @.new == $v)' AS jsonpath),
                         jsonb_build_object('p0', 'power', 'v', true))
 ORDER BY user_id DESC, device_id DESC, seq DESC LIMIT 50;
COMMIT;
