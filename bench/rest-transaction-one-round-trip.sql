-- pgbench replay of the database work of one REST property update since issue 14 (PUT
-- /api/v1/devices/{id}/properties of a device this instance changed before), as the application sends it: one
-- round trip of two statements and one Sync, no BEGIN and no COMMIT. The first binds the tenant context
-- (TenantScopedTransactionManager.CONTEXT_STATEMENT), the second is DeviceRepository.APPLY_STATE_CHANGE_AT_VERSION
-- with the activity module's fragment (ActivityLog, inserting from "bumped"): it checks the version and writes the
-- properties, the version bump, the device_events row and the activity entry; PostgreSQL runs the two as one
-- implicit transaction, committed at the Sync. The replay of the code before (six statements) is
-- bench/rest-transaction.sql, kept as the baseline.
-- bench/run.sh passes :tenant and :user with -D, sets every bench device to the version it passes as :v before
-- each run, and counts the events written afterwards: each client owns one device and bumps its version once
-- per transaction, so :v is the version the change was computed from (a mismatch would write nothing, and the
-- count would show it). The device's id is looked up inside the statement (bench.rest_devices, client number ->
-- device) where the app binds it. The JSON texts come as parameters, as the app binds them (Jackson's text, cast
-- to jsonb by the statement): bench/run.sh passes :changes, :snapshot and :details with -D (the values of one
-- change; every transaction sends the same texts, only the stored property value alternates).
\set on random(0, 1)
\startpipeline
SELECT length(set_config('app.current_tenant_id', :tenant, true)) + length(set_config('app.current_user_id', :user, true)) AS context_bound;
WITH bumped AS (
    UPDATE devices SET version = version + 1, last_state_change = now(),
                       pulse_reset_at = CAST(NULL AS timestamptz)
     WHERE id = (SELECT id FROM bench.rest_devices WHERE client = :client_id) AND version = :v
    RETURNING version, updated_at, now() AS tx_now
), changed AS (
    UPDATE device_properties p
       SET value = v.value, last_changed_by = 'api', last_changed_at = now()
      FROM bumped, unnest(CAST(ARRAY['power'] AS text[]),
                          CAST(ARRAY[CASE WHEN :on = 1 THEN 'true' ELSE 'false' END] AS text[])) AS v (name, value)
     WHERE p.device_id = (SELECT id FROM bench.rest_devices WHERE client = :client_id) AND p.name = v.name
), event AS (
    INSERT INTO device_events (tenant_id, user_id, device_id, device_name, device_type, alexa_endpoint_id,
                               ifttt_device_id, kind, source, device_version, changes, snapshot)
    SELECT CAST(:tenant AS uuid), CAST(:user AS uuid), (SELECT id FROM bench.rest_devices WHERE client = :client_id),
           'bench', 'switch', 'vd-bench-endpoint', 'vd-bench-device', 'property.changed', 'api',
           b.version, CAST(:changes AS jsonb), CAST(:snapshot AS jsonb)
      FROM bumped b
    RETURNING id, occurred_at, seq
), activity AS (
    INSERT INTO activity_logs (tenant_id, user_id, device_id, action, details, source, ip_address, user_agent)
    SELECT CAST(:tenant AS uuid), CAST(:user AS uuid), (SELECT id FROM bench.rest_devices WHERE client = :client_id),
           'property_changed', CAST(:details AS jsonb), 'api', CAST('127.0.0.1' AS inet), 'pgbench'
      FROM bumped
)
SELECT b.version, b.updated_at, b.tx_now, e.id AS event_id, e.occurred_at, e.seq,
       coalesce(current_setting('app.current_user_id', true), '') <> '' AS context_bound
  FROM (VALUES (1)) AS one (n) LEFT JOIN (bumped b CROSS JOIN event e) ON true;
\endpipeline
\set v :v + 1
