-- The relay also returns the least and greatest writing transaction of the events it hands out, so that the
-- dispatcher reads those events (by id, under their owner's context) from the partitions that can hold them
-- only (issue 14 section 2: on the bench's large database the by-id read probed the id index of every
-- device_events partition, about 30 buffers per partition per call, and was what made webhook staging slow).
-- Decision and measurements: docs/decisions.md, "The relay's by-id read prunes by the events' own tx_id".
--
-- Functions only: no table is locked or rewritten. The return type changes, so the function is dropped and
-- created again in this transaction (owner and grants as V007 gave them); an instance still running the
-- previous version reads the relay's columns by name and ignores the two new ones.
SET lock_timeout = '1s';

DROP FUNCTION app.device_events_relay(varchar, integer);

-- V021's function, with min_tx and max_tx: the least and greatest tx_id of the events in ids (NULL when there
-- are none). Every event handed out has its tx_id between the two, so "tx_id BETWEEN min_tx AND max_tx" added
-- to a read of those ids changes none of its rows and prunes every other partition.
CREATE FUNCTION app.device_events_relay(p_consumer varchar, p_limit integer)
    RETURNS TABLE (busy boolean, "position" bigint, final_seq bigint, next_fence_seq bigint,
                   next_fence_holders text[], fence_changed boolean, ids uuid[], seqs bigint[], tenants uuid[],
                   users uuid[], parked boolean[], min_tx xid8, max_tx xid8)
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
                            NULL::uuid[], NULL::bigint[], NULL::uuid[], NULL::uuid[], NULL::boolean[],
                            NULL::xid8, NULL::xid8;
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
           pg_catalog.array_agg(x.parked ORDER BY x.seq), pg_catalog.min(x.tx_id), pg_catalog.max(x.tx_id)
      FROM (SELECT e.id, e.seq, e.tenant_id, e.user_id, e.tx_id,
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

ALTER FUNCTION app.device_events_relay(varchar, integer) OWNER TO ${definer_role};
REVOKE EXECUTE ON FUNCTION app.device_events_relay(varchar, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.device_events_relay(varchar, integer) TO ${app_role};
