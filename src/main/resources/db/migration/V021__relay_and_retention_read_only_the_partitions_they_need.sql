-- The relay, the retention floor and retention's "newest event of a range" read only the device_events
-- partitions they need (issue 14 §2: the large-database plans showed them opening every partition).
-- Decision and measurements: docs/decisions.md, "Relay and retention read only the partitions they need".
--
-- Functions only: no table is locked or rewritten (CREATE OR REPLACE keeps each function's owner and grants;
-- sessions pick the new bodies up at their next call).
SET lock_timeout = '1s';

-- ---------------------------------------------------------------------------------------------------------
-- 1. A lower bound on the writing transaction of every event after a given seq, from the partitions' ledger.
--
-- Why it holds: a range's sealed_seq is the sequence's last value read when every transaction with an id below
-- the range's to_tx had ended (app.ensure_device_event_partitions seals a range once to_tx <= the snapshot's
-- xmin; a drop fills it in at the same point: the range ends at or below the retention floor, which is at most
-- that xmin). An event's tx_id is its writer's own transaction id (the column's default; the app may not
-- insert it) and its seq was taken by that writer before it ended, so every event with tx_id < to_tx, in any
-- partition (older ranges and the default partition included), has seq <= sealed_seq. Hence, for the newest
-- range R whose sealed_seq <= p_seq, every event with seq > p_seq has tx_id >= R.to_tx, and adding
-- "tx_id >= bound" to a query that says "seq > p_seq" changes none of its rows; it only lets the executor
-- prune the partitions below the bound. With no such range the bound is 0 (every partition is read, as before:
-- a consumer set back to 0 after a restore reads everything).
--
-- "to_tx <= xmin now" is true of every sealed range on a server whose transaction ids only grow; it keeps the
-- bound off ranges sealed under another server's ids (a database moved with pg_dump starts its ids again).
CREATE FUNCTION app.device_events_tx_floor(p_seq bigint) RETURNS xid8
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
    AS $$
    SELECT coalesce(max(p.to_tx), '0'::xid8)
      FROM public.device_event_partitions p
     WHERE p.sealed_seq <= p_seq
       AND p.to_tx <= pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot())
$$;
GRANT SELECT ON device_event_partitions TO ${definer_role};
ALTER FUNCTION app.device_events_tx_floor(bigint) OWNER TO ${definer_role};
REVOKE EXECUTE ON FUNCTION app.device_events_tx_floor(bigint) FROM PUBLIC;

-- ---------------------------------------------------------------------------------------------------------
-- 2. The relay (V007) with the same result: the events after the position are read only from the partitions
-- at or above the bound (1.) and below the reading snapshot's xmax. The upper bound excludes no row the read
-- can see: a row is visible only if its writer committed before the snapshot was taken, and every such
-- transaction's id is below the snapshot's xmax; pg_current_snapshot() is the snapshot of the statement it is
-- evaluated in (each statement of this VOLATILE function takes a fresh one), which is the one the scan reads
-- with. Together the two bounds leave the newest range (and the one before it until the hourly job seals it):
-- the empty ranges created ahead and the default partition are pruned too, whenever the ranges cover the
-- bounds. Both bounds are known when the statement starts, so a generic plan prunes at executor start-up.
--
-- enable_sort = off: the read must stay a merge of the partitions' seq indexes that stops after p_limit rows.
-- With the tx_id bounds, the generic plan (PL/pgSQL switches to it after five calls) estimates few rows after
-- the position and chose Append + Sort, which reads every event after the position: measured on the bench's
-- large database, a consumer a million events behind took 1.7 s per call that way and 0.3 ms with the merge.
-- Off, a sort is planned only where no ordered path exists; the seq index gives one on every partition.
CREATE OR REPLACE FUNCTION app.device_events_relay(p_consumer varchar, p_limit integer)
    RETURNS TABLE (busy boolean, "position" bigint, final_seq bigint, next_fence_seq bigint,
                   next_fence_holders text[], fence_changed boolean, ids uuid[], seqs bigint[], tenants uuid[],
                   users uuid[], parked boolean[])
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = '' SET enable_sort = off
    AS $$
DECLARE
    v_pos bigint;
    v_fence bigint;
    v_fence_holders text[];
    v_last bigint;
    v_holders text[];
    v_final bigint;
    v_old_fence bigint;
    v_old_holders text[];
    v_from_tx xid8;
BEGIN
    SELECT p.seq, p.fence_seq, p.fence_holders INTO v_pos, v_fence, v_fence_holders
      FROM public.event_consumer_positions p WHERE p.consumer = p_consumer
       FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN QUERY SELECT true, NULL::bigint, NULL::bigint, NULL::bigint, NULL::text[], NULL::boolean,
                            NULL::uuid[], NULL::bigint[], NULL::uuid[], NULL::uuid[], NULL::boolean[];
        RETURN;
    END IF;
    v_old_fence := v_fence;
    v_old_holders := v_fence_holders;
    -- first the last seq handed out, then who may still commit one
    v_last := coalesce(pg_catalog.pg_sequence_last_value(
                  pg_catalog.pg_get_serial_sequence('public.device_events', 'seq')::regclass), 0);
    SELECT pg_catalog.array_agg(l.virtualtransaction) INTO v_holders
      FROM pg_catalog.pg_locks l
     WHERE l.locktype = 'relation' AND l.relation = 'public.device_events'::regclass
       AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())
       AND l.mode = 'RowExclusiveLock' AND l.granted AND l.pid IS DISTINCT FROM pg_catalog.pg_backend_pid();
    IF v_holders IS NULL THEN
        v_final := v_last;
        v_fence := NULL;
        v_fence_holders := NULL;
    ELSIF v_fence IS NOT NULL AND NOT (v_fence_holders && v_holders) THEN
        v_final := v_fence;  -- every writer of the fence's time has ended
        v_fence := v_last;
        v_fence_holders := v_holders;
    ELSE
        v_final := v_pos;
        IF v_fence IS NULL THEN
            v_fence := v_last;
            v_fence_holders := v_holders;
        END IF;
    END IF;
    v_from_tx := app.device_events_tx_floor(v_pos);
    RETURN QUERY
    SELECT false, v_pos, greatest(v_final, v_pos), v_fence, v_fence_holders,
           v_fence IS DISTINCT FROM v_old_fence OR v_fence_holders IS DISTINCT FROM v_old_holders,
           pg_catalog.array_agg(x.id ORDER BY x.seq), pg_catalog.array_agg(x.seq ORDER BY x.seq),
           pg_catalog.array_agg(x.tenant_id ORDER BY x.seq), pg_catalog.array_agg(x.user_id ORDER BY x.seq),
           pg_catalog.array_agg(x.parked ORDER BY x.seq)
      FROM (SELECT e.id, e.seq, e.tenant_id, e.user_id,
                   EXISTS (SELECT 1 FROM public.event_failures f
                            WHERE f.consumer = p_consumer AND f.user_id = e.user_id AND f.status = 'pending')
                       AS parked
              FROM public.device_events e
             WHERE e.seq > v_pos AND e.seq <= v_last
               AND e.tx_id >= v_from_tx
               AND e.tx_id < pg_catalog.pg_snapshot_xmax(pg_catalog.pg_current_snapshot())
             ORDER BY e.seq
             LIMIT least(greatest(p_limit, 1), 1000)) x;
END
$$;

-- ---------------------------------------------------------------------------------------------------------
-- 3. The retention floor (V007) with the same result: the oldest writer among the events after the least
-- position is looked for only at or above the bound (1.) and below the snapshot's xmax (2.: an event the read
-- cannot see has a writer that is still running, and the horizon below already accounts for it).
CREATE OR REPLACE FUNCTION app.device_events_retention_floor() RETURNS xid8
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
DECLARE
    horizon xid8 := pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot());
    v_seq   bigint;
    v_from_tx xid8;
    oldest  xid8;
BEGIN
    SELECT least((SELECT min(p.seq) FROM public.event_consumer_positions p),
                 (SELECT min(f.event_seq) - 1 FROM public.event_failures f WHERE f.status = 'pending'))
      INTO v_seq;
    IF v_seq IS NOT NULL THEN
        v_from_tx := app.device_events_tx_floor(v_seq);
        SELECT min(e.tx_id) INTO oldest FROM public.device_events e
         WHERE e.seq > v_seq AND e.tx_id >= v_from_tx
           AND e.tx_id < pg_catalog.pg_snapshot_xmax(pg_catalog.pg_current_snapshot());
    END IF;
    RETURN least(coalesce(oldest, horizon), horizon);
END
$$;

-- ---------------------------------------------------------------------------------------------------------
-- 4. When the newest event of a range was written (V003), through the partition's seq index instead of a scan
-- of the whole partition: no index leads with tx_id since V007, so "ORDER BY tx_id DESC, seq DESC" read and
-- sorted every row (1.2 s on a 1.7M-event partition). The function is called with a ledger range, which is
-- exactly one partition's bounds, so the tx_id condition prunes to that partition and every row of it
-- qualifies: the first entry of a backward scan of its seq index is the answer.
--
-- The answer changes from "the last event of the transaction with the highest id" to "the event inserted
-- last" (seq is taken at the insert, in time order; within one transaction both orders agree). occurred_at is
-- the writing transaction's start (now(); the app may not insert it). Neither order finds the latest start
-- exactly (no index has occurred_at): a transaction gets its id at its first write and its seq at the event's
-- insert, both after it started, so each answer is the start of a writer of the range that began at most one
-- writing transaction's duration (milliseconds: one request) before the latest-starting writer. Retention
-- compares the answer with now() minus at least a day, so both are equally right there.
-- enable_sort = off for the same reason as the relay's (2.): a generic plan must not sort the whole partition.
CREATE OR REPLACE FUNCTION app.device_events_newest_in(p_from xid8, p_to xid8) RETURNS timestamptz
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = '' SET enable_sort = off
    AS $$
BEGIN
    RETURN (SELECT e.occurred_at FROM public.device_events e
             WHERE e.tx_id >= p_from AND e.tx_id < p_to
             ORDER BY e.seq DESC
             LIMIT 1);
END
$$;
