-- pgbench replay of the database work of one REST property update since issue 14 (PUT
-- /api/v1/devices/{id}/properties of a device this instance changed before), as the application sends it: one
-- round trip of two statements and one Sync, no BEGIN and no COMMIT. The first binds the tenant context, the
-- second checks the version and writes the properties, the version bump, the device_events row and the
-- activity entry; PostgreSQL runs the two as one implicit transaction, committed at the Sync. The replay of the
-- code before (six statements) is bench/rest-transaction.sql, kept as the baseline.
-- bench/run.sh passes :tenant and :user with -D, sets every bench device to the version it passes as :v before
-- each run, and counts the events written afterwards: each client owns one device and bumps its version once
-- per transaction, so :v is the version the change was computed from (a mismatch would write nothing, and the
-- count would show it). The JSON is built with functions because pgbench would take the colons of a JSON
-- literal for variables.
\set on random(0, 1)
\startpipeline
SELECT set_config('app.current_tenant_id', :tenant, true), set_config('app.current_user_id', :user, true);
WITH bumped AS (
    UPDATE devices SET version = version + 1, last_state_change = now(), pulse_reset_at = NULL
     WHERE id = (SELECT id FROM bench.rest_devices WHERE client = :client_id) AND version = :v
    RETURNING id, version, updated_at, now() AS tx_now
), changed AS (
    UPDATE device_properties p
       SET value = v.value, last_changed_by = 'api', last_changed_at = now()
      FROM bumped, unnest(ARRAY['power'], ARRAY[CASE WHEN :on = 1 THEN 'true' ELSE 'false' END]) AS v (name, value)
     WHERE p.device_id = (SELECT id FROM bench.rest_devices WHERE client = :client_id) AND p.name = v.name
), event AS (
    INSERT INTO device_events (tenant_id, user_id, device_id, device_name, device_type, alexa_endpoint_id,
                               ifttt_device_id, kind, source, device_version, changes, snapshot)
    SELECT CAST(:tenant AS uuid), CAST(:user AS uuid), b.id, 'bench', 'switch',
           'vd-bench-endpoint', 'vd-bench-device', 'property.changed', 'api', b.version,
           jsonb_build_array(jsonb_build_object('property', 'power', 'old', false, 'new', true)),
           jsonb_build_object('power', true)
      FROM bumped b
    RETURNING id, occurred_at, seq, changes::text AS changes, snapshot::text AS snapshot
), activity AS (
    INSERT INTO activity_logs (tenant_id, user_id, device_id, action, details, source, ip_address, user_agent)
    SELECT CAST(:tenant AS uuid), CAST(:user AS uuid), b.id, 'property_changed',
           jsonb_build_object('name', 'bench', 'changes',
                              jsonb_build_array(jsonb_build_object('property', 'power', 'old', false, 'new', true))),
           'api', CAST('127.0.0.1' AS inet), 'pgbench'
      FROM bumped b
)
SELECT b.version, b.updated_at, b.tx_now, e.id AS event_id, e.occurred_at, e.seq, e.changes, e.snapshot
  FROM bumped b, event e;
\endpipeline
\set v :v + 1
