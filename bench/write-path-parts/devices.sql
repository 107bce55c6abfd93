-- bench/run.sh SQL_PARTS=1: bench/rest-transaction-one-round-trip.sql cut to the context and the version bump
-- (devices, with devices_touch and the commit), so that the differences between the replays give each part's
-- PostgreSQL CPU per change (docs/decisions.md, "The write path's database cost per change"). Same variables as
-- the full replay.
\set on random(0, 1)
\startpipeline
SELECT length(set_config('app.current_tenant_id', :tenant, true)) + length(set_config('app.current_user_id', :user, true)) AS context_bound;
WITH bumped AS (
    UPDATE devices SET version = version + 1, last_state_change = now(),
                       pulse_reset_at = CAST(NULL AS timestamptz)
     WHERE id = (SELECT id FROM bench.rest_devices WHERE client = :client_id) AND version = :v
    RETURNING version, updated_at, now() AS tx_now
)
SELECT b.version, b.updated_at, b.tx_now,
       coalesce(current_setting('app.current_user_id', true), '') <> '' AS context_bound
  FROM (VALUES (1)) AS one (n) LEFT JOIN bumped b ON true;
\endpipeline
\set v :v + 1
