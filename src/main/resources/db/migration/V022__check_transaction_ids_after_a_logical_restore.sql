-- A start-up check (RestoredTransactionIdsCheck) for a logical restore loaded without
-- scripts/logical-restore-xids.sql: docs/decisions.md, "Leftovers: pulse timing, stream subscribers, restore
-- check (h-leftovers2)"; docs/operations.md, "Transaction ids after a logical restore".
--
-- On a cluster that wrote its own events, every committed event's tx_id (its writer's id) is below the next
-- id the cluster will assign (the xmax of any snapshot taken now), and every sealed range of the ledger ends
-- at or below it (a range is sealed once its to_tx <= the sealing snapshot's xmin, and ids only grow). A dump
-- loaded into a new cluster keeps the old, higher ids in both places while the new cluster counts again from
-- a few hundred; logical-restore-xids.sql moves them below the loading transaction's id. So either fact,
-- seen by the application at start-up, means the fix-up was skipped.
--
-- Definer: device_events has forced row-level security and the application connects as a role it applies
-- to; the function reads only maxima, no tenant's rows. It assigns no transaction id (xmax of the current
-- snapshot, not pg_current_xact_id()), so it also runs in a read-only transaction. Cost: one probe of the
-- (tx_id, seq) index of each partition whose range reaches the next id (the open range, the ones created
-- ahead, the default partition); the others are pruned.
--
-- A function only: no table is locked or rewritten.
SET lock_timeout = '1s';

CREATE FUNCTION app.device_event_ids_ahead_of_cluster()
    RETURNS TABLE (next_tx xid8, newest_event_tx xid8, newest_sealed_to_tx xid8)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
    AS $$
    SELECT s.next_tx,
           (SELECT max(e.tx_id) FROM public.device_events e WHERE e.tx_id >= s.next_tx),
           (SELECT max(p.to_tx) FROM public.device_event_partitions p
             WHERE p.sealed_seq IS NOT NULL AND p.to_tx > s.next_tx)
      FROM (SELECT pg_catalog.pg_snapshot_xmax(pg_catalog.pg_current_snapshot()) AS next_tx) s
$$;
ALTER FUNCTION app.device_event_ids_ahead_of_cluster() OWNER TO ${definer_role};
REVOKE EXECUTE ON FUNCTION app.device_event_ids_ahead_of_cluster() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.device_event_ids_ahead_of_cluster() TO ${app_role};
