-- pgbench replay of the database work of one REST property update (PUT /api/v1/devices/{id}/properties),
-- statement for statement as the application sends it, run as the application role under row-level
-- security: the ceiling for the REST benchmark if Java, HTTP and JSON cost nothing. bench/run.sh passes
-- :tenant and :user with -D and fills bench.rest_devices (client number -> device, looked up inside each
-- statement, so the replay makes the app's round trips, plus pgbench's separate BEGIN). The JSON is built
-- with functions because pgbench would take the colons of a JSON literal for variables.
\set on random(0, 1)
BEGIN;
SELECT set_config('app.current_tenant_id', :tenant, true), set_config('app.current_user_id', :user, true);
SELECT d.id, d.name, d.friendly_name, d.device_type, d.description, d.alexa_endpoint_id, d.ifttt_device_id,
       d.is_online, d.version, d.created_at, d.updated_at, d.last_state_change, now() AS tx_now,
       p.device_id, p.name AS property_name, p.value, p.data_type::text AS data_type, p.min_value, p.max_value,
       p.allowed_values, p.unit, p.alexa_interface, p.alexa_property_name, p.last_changed_by, p.last_changed_at
  FROM devices d LEFT JOIN device_properties p ON p.device_id = d.id
 WHERE d.id = (SELECT id FROM bench.rest_devices WHERE client = :client_id)
   FOR UPDATE OF d;
WITH changed AS (
    UPDATE device_properties p
       SET value = v.value, last_changed_by = 'api', last_changed_at = now()
      FROM unnest(ARRAY['power'], ARRAY[CASE WHEN :on = 1 THEN 'true' ELSE 'false' END]) AS v (name, value)
     WHERE p.device_id = (SELECT id FROM bench.rest_devices WHERE client = :client_id) AND p.name = v.name
), bumped AS (
    UPDATE devices SET version = version + 1, last_state_change = now()
     WHERE id = (SELECT id FROM bench.rest_devices WHERE client = :client_id)
    RETURNING version, updated_at
), event AS (
    INSERT INTO device_events (tenant_id, user_id, device_id, device_name, device_type, alexa_endpoint_id,
                               ifttt_device_id, kind, source, device_version, changes, snapshot)
    SELECT CAST(:tenant AS uuid), CAST(:user AS uuid), (SELECT id FROM bench.rest_devices WHERE client = :client_id), 'bench', 'switch',
           'vd-bench-endpoint', 'vd-bench-device', 'property.changed', 'api', b.version,
           jsonb_build_array(jsonb_build_object('property', 'power', 'old', false, 'new', true)),
           jsonb_build_object('power', true)
      FROM bumped b
    RETURNING id, occurred_at
)
SELECT b.version, b.updated_at, e.id AS event_id, e.occurred_at FROM bumped b, event e;
INSERT INTO activity_logs (tenant_id, user_id, device_id, action, details, source, ip_address, user_agent)
VALUES (CAST(:tenant AS uuid), CAST(:user AS uuid), (SELECT id FROM bench.rest_devices WHERE client = :client_id), 'property_changed',
        jsonb_build_object('name', 'bench', 'changes',
                           jsonb_build_array(jsonb_build_object('property', 'power', 'old', false, 'new', true))), 'api',
        CAST('127.0.0.1' AS inet), 'pgbench');
COMMIT;
