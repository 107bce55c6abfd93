-- Change-event dispatch by cursor instead of one db-scheduler task per change.
--
-- Before: every change inserted an events.dispatch task row in its own transaction; the scheduler then
-- picked it (UPDATE), ran it in a transaction of its own and deleted it: four extra writes, Java
-- serialization and a polling thread per change. Now device_events itself is the outbox and one cursor
-- row records how far dispatch has got. The dispatcher reads the next events in (tx_id, seq) order in
-- batches and advances the cursor in the same transaction as the work it stages (exactly-once staging).
--
-- Why (tx_id, seq) and not seq alone: seq is taken when a row is inserted, but rows become visible when
-- their transaction commits, so a lower seq can appear after a higher one has been read. tx_id is the
-- writing transaction's id; only rows of transactions older than the oldest one still running
-- (pg_snapshot_xmin of the current snapshot) are read, and every transaction that can still commit has a
-- larger id, so nothing can appear behind the cursor. The price: a write transaction that stays open
-- holds back the dispatch of changes committed after it started (ours last milliseconds).

ALTER TABLE device_events ADD COLUMN tx_id xid8;
ALTER TABLE device_events ALTER COLUMN tx_id SET DEFAULT pg_current_xact_id();
COMMENT ON COLUMN device_events.tx_id IS
    'writing transaction (dispatch order); NULL for events dispatched before V013';
CREATE INDEX device_events_dispatch_idx ON device_events (tx_id, seq);

-- Events whose events.dispatch task had not run yet get this migration's transaction id, so the new
-- dispatcher sends them once this commits; their tasks go away. (The owner role is subject to the forced
-- row-level security of its tables, so it is relaxed for this one statement.)
ALTER TABLE device_events NO FORCE ROW LEVEL SECURITY;
UPDATE device_events e
   SET tx_id = pg_current_xact_id()
  FROM scheduled_tasks t
 WHERE t.task_name = 'events.dispatch' AND t.task_instance = e.id::text;
ALTER TABLE device_events FORCE ROW LEVEL SECURITY;
DELETE FROM scheduled_tasks WHERE task_name = 'events.dispatch';

-- The cursor: one row, locked FOR UPDATE SKIP LOCKED by the instance that dispatches (others skip).
-- It holds no tenant data (a system table, like scheduled_tasks).
CREATE TABLE event_dispatch_cursor (
    id         boolean PRIMARY KEY DEFAULT true CHECK (id),
    tx_id      xid8 NOT NULL,
    seq        bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO event_dispatch_cursor (tx_id, seq) VALUES ('0', 0);
GRANT SELECT, UPDATE (tx_id, seq, updated_at) ON event_dispatch_cursor TO ${app_role};

-- The next committed events after the cursor, across tenants: the only cross-tenant read of events, a
-- definer function so the app role's own policies stay per user.
GRANT SELECT ON device_events TO ${definer_role};

CREATE FUNCTION app.device_events_to_dispatch(p_tx xid8, p_seq bigint, p_limit integer)
    RETURNS TABLE (id uuid, seq bigint, tx_id xid8, tenant_id uuid, user_id uuid, device_id uuid,
                   device_name varchar, device_type varchar, kind varchar, source varchar, device_version bigint,
                   changes text, snapshot text, occurred_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
    AS $$
    SELECT e.id, e.seq, e.tx_id, e.tenant_id, e.user_id, e.device_id, e.device_name, e.device_type, e.kind,
           e.source, e.device_version, e.changes::text, e.snapshot::text, e.occurred_at
      FROM public.device_events e
     WHERE (e.tx_id, e.seq) > (p_tx, p_seq)
       AND e.tx_id < pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot())
     ORDER BY e.tx_id, e.seq
     LIMIT least(greatest(p_limit, 1), 1000)
$$;

-- Whether events exist after the cursor that are not dispatchable yet (an older transaction is still open).
CREATE FUNCTION app.device_events_held_back(p_tx xid8, p_seq bigint) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
    AS $$
    -- not EXISTS (...): the planner drops the ORDER BY inside EXISTS and then prefers a sequential scan
    SELECT (SELECT e.seq FROM public.device_events e
             WHERE (e.tx_id, e.seq) > (p_tx, p_seq)
             ORDER BY e.tx_id, e.seq
             LIMIT 1) IS NOT NULL
$$;

ALTER FUNCTION app.device_events_to_dispatch(xid8, bigint, integer) OWNER TO ${definer_role};
ALTER FUNCTION app.device_events_held_back(xid8, bigint) OWNER TO ${definer_role};
REVOKE EXECUTE ON FUNCTION app.device_events_to_dispatch(xid8, bigint, integer) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION app.device_events_held_back(xid8, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.device_events_to_dispatch(xid8, bigint, integer) TO ${app_role};
GRANT EXECUTE ON FUNCTION app.device_events_held_back(xid8, bigint) TO ${app_role};
