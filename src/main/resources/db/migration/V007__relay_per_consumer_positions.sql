-- Change-event relay, issue 9 §1 and §6: every consumer progresses on its own; a failing event is parked for
-- its consumer and owner (the dead-letter store), not retried by everyone; an unrelated open transaction no
-- longer holds the relay back; and the cross-tenant read returns ids and owners only.
--
-- Dispatch order is seq (taken by the insert, under the insert's lock on device_events), no longer
-- (tx_id, seq) behind the oldest running transaction of the whole database. Which seqs are final is decided
-- from what can still commit: a transaction that may still add rows to device_events holds a
-- RowExclusiveLock on it from before it takes its seq until it ends (and is visible as committed before it
-- releases the lock). So, read in this order -- the sequence's last value S, then the holders of that lock,
-- then (a fresh snapshot) the events:
--   * no holder: every seq <= S is final (committed and visible now, or rolled back / deleted for ever);
--   * holders H: seqs <= S that are not visible may still belong to H. Once none of H holds the lock any
--     more (a later pass), every seq <= S is final: the "fence" (S, H) kept in the position row.
-- Events that are visible and contiguous after the position are always safe to dispatch. A long
-- transaction that does not write device_events holds nothing back; one that has inserted an event holds
-- back the events after its own (as before). Requires the seq sequence's CACHE 1 (the identity default).
-- Decision and measurements: docs/decisions.md, "Relay per consumer (issue 9)".

-- ---------------------------------------------------------------------------------------------------------
-- One position per consumer (a system table: no tenant data, like scheduled_tasks).
CREATE TABLE event_consumer_positions (
    consumer      varchar(64) PRIMARY KEY CHECK (consumer ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    -- every event with a seq up to this is done (handed to the consumer, parked, or never committed)
    seq           bigint NOT NULL CHECK (seq >= 0),
    -- the fence: seqs up to fence_seq are final once none of fence_holders (virtual transaction ids of
    -- device_events writers when it was taken) is still running
    fence_seq     bigint,
    fence_holders text[],
    updated_at    timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT, UPDATE (seq, fence_seq, fence_holders, updated_at) ON event_consumer_positions TO ${app_role};
GRANT SELECT, INSERT, UPDATE ON event_consumer_positions TO ${definer_role};

-- The webhooks consumer takes over from the single cursor: from the first event it had not passed (events
-- after that which the old order had already passed are staged again; webhook staging ignores duplicates).
ALTER TABLE device_events NO FORCE ROW LEVEL SECURITY;
INSERT INTO event_consumer_positions (consumer, seq)
SELECT 'webhooks', coalesce(
           (SELECT min(e.seq) - 1 FROM device_events e, event_dispatch_cursor c
             WHERE e.tx_id IS NOT NULL AND (e.tx_id, e.seq) > (c.tx_id, c.seq)),
           (SELECT max(e.seq) FROM device_events e),
           0);
ALTER TABLE device_events FORCE ROW LEVEL SECURITY;

DROP FUNCTION app.device_events_to_dispatch(xid8, bigint, integer);
DROP FUNCTION app.device_events_held_back(xid8, bigint);
DROP TABLE event_dispatch_cursor;

-- Dispatch reads by seq now; (tx_id, seq) has no reader left (tx_id stays, filled by its default).
DROP INDEX device_events_dispatch_idx;
CREATE INDEX device_events_seq_idx ON device_events (seq);

-- ---------------------------------------------------------------------------------------------------------
-- Parked events: an event a consumer failed on (retried with backoff, then 'dead': the dead-letter store),
-- and the same owner's later events for that consumer, waiting behind it so each owner's order holds.
CREATE TABLE event_failures (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id       uuid NOT NULL,
    -- goes with its user (member removal, account deletion)
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    consumer        varchar(64) NOT NULL,
    event_id        uuid NOT NULL,
    event_seq       bigint NOT NULL,
    event_type      varchar(32) NOT NULL,
    device_id       uuid,
    -- pending: to be handed to the consumer (waiting behind an older one, or retrying); dead: given up
    status          varchar(16) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'dead')),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    error           varchar(512),
    first_failed_at timestamptz,
    last_failed_at  timestamptz,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT event_failures_consumer_event_key UNIQUE (consumer, event_id)
);
CREATE INDEX event_failures_pending_idx ON event_failures (consumer, user_id, event_seq) WHERE status = 'pending';
CREATE INDEX event_failures_user_idx ON event_failures (user_id, created_at DESC);

ALTER TABLE event_failures ENABLE ROW LEVEL SECURITY;
ALTER TABLE event_failures FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, DELETE, UPDATE (status, attempts, error, first_failed_at, last_failed_at, next_attempt_at)
    ON event_failures TO ${app_role};
CREATE POLICY event_failures_user_isolation ON event_failures FOR ALL TO ${app_role}
    USING (user_id = (SELECT app.current_user_id()) AND tenant_id = (SELECT app.current_tenant_id()))
    WITH CHECK (user_id = (SELECT app.current_user_id()) AND tenant_id = (SELECT app.current_tenant_id()));
CREATE POLICY event_failures_definer ON event_failures TO ${definer_role} USING (true) WITH CHECK (true);
GRANT SELECT (tenant_id, user_id, consumer, event_seq, status, next_attempt_at) ON event_failures TO ${definer_role};

-- ---------------------------------------------------------------------------------------------------------
-- The definer needs the seq sequence's last value (pg_sequence_last_value).
DO $$
BEGIN
    EXECUTE format('GRANT SELECT ON SEQUENCE %s TO %I',
                   pg_get_serial_sequence('public.device_events', 'seq'), '${definer_role}');
END
$$;

-- A consumer seen for the first time starts after the events that exist now.
CREATE FUNCTION app.register_event_consumer(p_consumer varchar) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
BEGIN
    INSERT INTO public.event_consumer_positions (consumer, seq)
    VALUES (p_consumer, coalesce(pg_catalog.pg_sequence_last_value(
                pg_catalog.pg_get_serial_sequence('public.device_events', 'seq')::regclass), 0))
    ON CONFLICT (consumer) DO NOTHING;
END
$$;

-- One relay pass of one consumer: locks its position (SKIP LOCKED: busy when another instance has it) and
-- returns the next visible events after it, up to the current last seq, as ids, seqs and owners only (the
-- payload is read under the owner's tenant context), whether the owner has parked events for this consumer,
-- which seq everything up to is final, and the fence to keep. VOLATILE: each statement takes a fresh snapshot
-- (the relay runs READ COMMITTED), so the events are read after the lock holders.
CREATE FUNCTION app.device_events_relay(p_consumer varchar, p_limit integer)
    RETURNS TABLE (busy boolean, "position" bigint, final_seq bigint, next_fence_seq bigint,
                   next_fence_holders text[], fence_changed boolean, ids uuid[], seqs bigint[], tenants uuid[],
                   users uuid[], parked boolean[])
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = ''
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
             ORDER BY e.seq
             LIMIT least(greatest(p_limit, 1), 1000)) x;
END
$$;

-- Owners whose oldest parked event for the consumer is due (ids of owners only).
CREATE FUNCTION app.event_failures_due(p_consumer varchar, p_limit integer)
    RETURNS TABLE (tenant_id uuid, user_id uuid)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
    AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT f.tenant_id, f.user_id
      FROM public.event_failures f
     WHERE f.consumer = p_consumer AND f.status = 'pending' AND f.next_attempt_at <= now()
       AND NOT EXISTS (SELECT 1 FROM public.event_failures g
                        WHERE g.consumer = f.consumer AND g.user_id = f.user_id AND g.status = 'pending'
                          AND g.event_seq < f.event_seq)
     LIMIT least(greatest(p_limit, 1), 1000);
END
$$;

ALTER FUNCTION app.register_event_consumer(varchar) OWNER TO ${definer_role};
ALTER FUNCTION app.device_events_relay(varchar, integer) OWNER TO ${definer_role};
ALTER FUNCTION app.event_failures_due(varchar, integer) OWNER TO ${definer_role};
REVOKE EXECUTE ON FUNCTION app.register_event_consumer(varchar) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION app.device_events_relay(varchar, integer) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION app.event_failures_due(varchar, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.register_event_consumer(varchar) TO ${app_role};
GRANT EXECUTE ON FUNCTION app.device_events_relay(varchar, integer) TO ${app_role};
GRANT EXECUTE ON FUNCTION app.event_failures_due(varchar, integer) TO ${app_role};

-- ---------------------------------------------------------------------------------------------------------
-- Retention's one place (see the partitioning migration) follows the per-consumer positions: the oldest
-- writing transaction among the events some consumer has not passed yet or still has parked (pending), else
-- the oldest transaction still running. A partition ending at or below it holds nothing any consumer needs.
-- Dead letters do not hold events: a dead letter retried after its event was dropped is discarded.
CREATE OR REPLACE FUNCTION app.device_events_retention_floor() RETURNS xid8
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
DECLARE
    horizon xid8 := pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot());
    v_seq   bigint;
    oldest  xid8;
BEGIN
    SELECT least((SELECT min(p.seq) FROM public.event_consumer_positions p),
                 (SELECT min(f.event_seq) - 1 FROM public.event_failures f WHERE f.status = 'pending'))
      INTO v_seq;
    IF v_seq IS NOT NULL THEN
        SELECT min(e.tx_id) INTO oldest FROM public.device_events e WHERE e.seq > v_seq;
    END IF;
    RETURN least(coalesce(oldest, horizon), horizon);
END
$$;
