-- bench/run.sh SQL_PARTS=1: bench/rest-transaction-one-round-trip.sql without the device_events row and the
-- activity entry, so that the differences between the replays give each part's PostgreSQL CPU per change
-- (docs/decisions.md, "The write path's database cost per change"). Same variables as the full replay.
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
)
SELECT b.version, b.updated_at, b.tx_now,
       coalesce(current_setting('app.current_user_id', true), '') <> '' AS context_bound
  FROM (VALUES (1)) AS one (n) LEFT JOIN bumped b ON true;
\endpipeline
\set v :v + 1
