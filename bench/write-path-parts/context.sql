-- bench/run.sh SQL_PARTS=1: bench/rest-transaction-one-round-trip.sql cut to the context statement alone (a
-- transaction that writes nothing), so that the differences between the replays give each part's PostgreSQL CPU
-- per change (docs/decisions.md, "The write path's database cost per change"). Same variables as the full replay.
\set on random(0, 1)
\startpipeline
SELECT length(set_config('app.current_tenant_id', :tenant, true)) + length(set_config('app.current_user_id', :user, true)) AS context_bound;
\endpipeline
