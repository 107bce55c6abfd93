-- device_events becomes a table partitioned by RANGE (tx_id), so old events go by dropping whole partitions
-- (issue 9 §4; docs/decisions.md "Tables that do not grow without bound").
--
-- Why tx_id, the writing transaction's id (xid8: 64 bits, never wraps), and not occurred_at or seq:
--  * tx_id is the relay's order. Every event not yet dispatched lies at or after the cursor's tx_id, so the
--    relay's reads (app.device_events_to_dispatch, app.device_events_held_back) say "tx_id >= cursor" and
--    touch only the newest partition or two; by occurred_at or seq they would open every partition
--    (a late-committing transaction can carry an older time and a lower seq than events already read).
--  * It gives retention an exact, race-free test: all transactions below the oldest one still running have
--    ended, so a partition whose range ends at or below app.device_events_retention_floor() holds only
--    processed events and can never receive another row.
--  * Partitions hold about a span of time's worth of transaction ids each (measured from the id rate, at
--    least 10,000,000; the span is a twelfth of the retention, between 1 and 7 days: 7 days by default, so
--    about 14 partitions), created ahead by the events.partitions job; a DEFAULT partition takes any row no
--    range covers, so a write never fails for lack of a partition. Few partitions, because every query that
--    cannot be pruned (a live stream's resume by seq, a device's history) probes each partition's index.
--
-- A partitioned table's primary key must include the partition key: (id, tx_id). seq cannot stay an
-- identity column on a partitioned table before PostgreSQL 17: it takes its values from the sequence
-- device_event_seq, which continues where the identity left off, and the app may not insert it (nor id,
-- tx_id, occurred_at): column-level INSERT grant.

-- 1. Set the old table aside (its policies and indexes go with it at the end).
ALTER TABLE device_events RENAME TO device_events_unpartitioned;
ALTER INDEX device_events_pkey RENAME TO device_events_unpartitioned_pkey;
ALTER INDEX device_events_dispatch_idx RENAME TO device_events_unpartitioned_dispatch_idx;
ALTER INDEX device_events_user_seq_idx RENAME TO device_events_unpartitioned_user_seq_idx;
ALTER INDEX device_events_user_device_seq_idx RENAME TO device_events_unpartitioned_user_device_seq_idx;

CREATE SEQUENCE device_event_seq AS bigint;
SELECT setval('device_event_seq', s.last_value, s.is_called) FROM device_events_seq_seq s;

-- 2. The partitioned table: the same columns in the same order.
CREATE TABLE device_events (
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    seq         bigint NOT NULL DEFAULT nextval('device_event_seq'),
    tenant_id   uuid NOT NULL,
    user_id     uuid NOT NULL,
    device_id   uuid NOT NULL,
    kind        varchar(32) NOT NULL CONSTRAINT device_events_kind_check CHECK (kind IN
                ('device.created', 'device.updated', 'device.deleted', 'property.changed', 'doorbell.pressed')),
    source      varchar(16) NOT NULL CONSTRAINT device_events_source_check CHECK (source IN ('web', 'api', 'alexa', 'ifttt', 'trigger', 'system')),
    device_version bigint NOT NULL,
    changes     jsonb NOT NULL DEFAULT '[]' CONSTRAINT device_events_changes_check CHECK (jsonb_typeof(changes) = 'array' AND octet_length(changes::text) <= 65536),
    snapshot    jsonb NOT NULL DEFAULT '{}' CONSTRAINT device_events_snapshot_check CHECK (jsonb_typeof(snapshot) = 'object' AND octet_length(snapshot::text) <= 65536),
    occurred_at timestamptz NOT NULL DEFAULT now(),
    device_name varchar(100),
    device_type varchar(32),
    tx_id       xid8 NOT NULL DEFAULT pg_current_xact_id(),
    PRIMARY KEY (id, tx_id)
) PARTITION BY RANGE (tx_id);
ALTER SEQUENCE device_event_seq OWNED BY device_events.seq;
COMMENT ON COLUMN device_events.tx_id IS
    'writing transaction (dispatch order, partition key); 2 (frozen) for events written before V013 recorded it';

-- The indexes the hot queries need, as before: relay order, live-stream resume, one device's history.
CREATE INDEX device_events_dispatch_idx ON device_events (tx_id, seq);
CREATE INDEX device_events_user_seq_idx ON device_events (user_id, seq);
CREATE INDEX device_events_user_device_seq_idx ON device_events (user_id, device_id, seq);

CREATE TABLE device_events_default PARTITION OF device_events DEFAULT;

-- RLS is per relation: a partition named directly would ignore the parent's policies (D-14). The app has
-- no grant on any partition, and each one has RLS enabled and forced with no policy besides.
-- (FORCE on the parent once the rows are copied: the owner has no policy of its own.)
ALTER TABLE device_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE device_events_default ENABLE ROW LEVEL SECURITY;
ALTER TABLE device_events_default FORCE ROW LEVEL SECURITY;

-- Events are append-only for the app, and the columns the database fills are not the app's to choose.
GRANT SELECT, INSERT (tenant_id, user_id, device_id, device_name, device_type, kind, source, device_version,
                      changes, snapshot)
    ON device_events TO ${app_role};
GRANT USAGE ON SEQUENCE device_event_seq TO ${app_role};
CREATE POLICY device_events_user_isolation ON device_events FOR ALL TO ${app_role}
    USING (user_id = (SELECT app.current_user_id()) AND tenant_id = (SELECT app.current_tenant_id()))
    WITH CHECK (user_id = (SELECT app.current_user_id()) AND tenant_id = (SELECT app.current_tenant_id()));
CREATE POLICY device_events_definer ON device_events TO ${definer_role} USING (true) WITH CHECK (true);
GRANT SELECT, DELETE ON device_events TO ${definer_role};
GRANT SELECT ON event_dispatch_cursor TO ${definer_role};

-- 3. The partitions' ledger: one row per range partition ever created (a system table, no tenant data; the
-- app has no grant). created_xid is the next transaction id at creation: the job measures the id rate from
-- it. sealed_seq is the sequence's value once every transaction of the range had ended (an upper bound of
-- its seqs); when the partition is dropped, a live stream resuming from a seq at or below it is told to
-- reload (app.device_events_expired_through).
CREATE TABLE device_event_partitions (
    name        text PRIMARY KEY,
    from_tx     xid8 NOT NULL,
    to_tx       xid8 NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_xid xid8 NOT NULL,
    sealed_seq  bigint,
    dropped_at  timestamptz,
    CHECK (from_tx < to_tx)
);

-- Creates range partitions of about p_span's worth of transaction ids each (measured from the id rate since
-- the newest partition was created, at least p_min_xids) when less than one span lies ahead, until two do;
-- returns how many. Runs as the
-- owner (only the owner may attach partitions). A partition is created empty and then attached, which locks
-- the parent only in SHARE UPDATE EXCLUSIVE mode (reads and writes go on) and the default partition briefly.
-- When the ids ran past the last range (the job did not run for days), the next range starts at the next id
-- after the default partition is locked, so the rows that went to the default partition meanwhile stay there.
CREATE FUNCTION app.ensure_device_event_partitions(p_min_xids bigint, p_span interval) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
DECLARE
    next_xid xid8;
    newest   public.device_event_partitions;
    width    bigint;
    elapsed  double precision;
    top      xid8;
    upper_tx xid8;
    part     text;
    first    boolean;
    created  integer := 0;
BEGIN
    IF p_min_xids < 1000 OR p_min_xids > 1000000000000 THEN
        RAISE EXCEPTION 'p_min_xids must be between 1000 and 10^12' USING ERRCODE = '22023';
    END IF;
    IF p_span < interval '1 hour' OR p_span > interval '31 days' THEN
        RAISE EXCEPTION 'p_span must be between an hour and 31 days' USING ERRCODE = '22023';
    END IF;
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('device_event_partitions', 0));
    -- ranges every transaction of which has ended: remember the highest seq they can hold
    UPDATE public.device_event_partitions p
       SET sealed_seq = (SELECT s.last_value FROM public.device_event_seq s)
     WHERE p.sealed_seq IS NULL AND p.dropped_at IS NULL
       AND p.to_tx <= pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot());

    next_xid := pg_catalog.pg_snapshot_xmax(pg_catalog.pg_current_snapshot());
    SELECT * INTO newest FROM public.device_event_partitions p WHERE p.dropped_at IS NULL
     ORDER BY p.to_tx DESC LIMIT 1;
    first := NOT FOUND;
    IF first THEN
        -- the first range holds every event written so far; 0 and 1 are never a transaction's id, 2 (frozen)
        -- stands for the events written before V013 recorded their writer
        top := '2';
        width := p_min_xids;
    ELSE
        top := newest.to_tx;
        elapsed := extract(epoch FROM now() - newest.created_at);
        width := CASE WHEN elapsed >= 600
                      THEN ((next_xid::text::numeric - newest.created_xid::text::numeric)
                            * extract(epoch FROM p_span) / elapsed)::bigint
                      ELSE newest.to_tx::text::bigint - newest.from_tx::text::bigint END;
        width := least(greatest(width, p_min_xids), 1000000000000);
        IF top::text::numeric < next_xid::text::numeric + 1000 THEN
            -- behind: start above every id that may already have written to the default partition
            LOCK TABLE public.device_events_default IN ACCESS EXCLUSIVE MODE;
            top := greatest(top, pg_catalog.pg_snapshot_xmax(pg_catalog.pg_current_snapshot()));
            RAISE WARNING 'device_events partitions were behind: events below transaction % stay in the default partition', top;
        END IF;
    END IF;
    LOOP
        -- a new range when less than one span's worth lies ahead, then up to two spans' worth
        EXIT WHEN created >= 10
               OR (NOT first AND top::text::numeric >= next_xid::text::numeric + width * least(created + 1, 2));
        upper_tx := CASE WHEN first THEN next_xid ELSE (top::text::numeric + width)::text::xid8 END;
        part := 'device_events_' || top::text;
        BEGIN
            EXECUTE format('CREATE TABLE public.%I (LIKE public.device_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
            EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', part);
            EXECUTE format('ALTER TABLE public.%I FORCE ROW LEVEL SECURITY', part);
            EXECUTE format('ALTER TABLE public.device_events ATTACH PARTITION public.%I FOR VALUES FROM (%L) TO (%L)',
                           part, top, upper_tx);
        EXCEPTION WHEN check_violation THEN
            RAISE WARNING 'partition % not created: rows of its range are already in the default partition', part;
            EXIT;
        END;
        INSERT INTO public.device_event_partitions (name, from_tx, to_tx, created_xid)
        VALUES (part, top, upper_tx, next_xid);
        created := created + 1;
        top := upper_tx;
        first := false;
    END LOOP;
    RETURN created;
END
$$;
GRANT EXECUTE ON FUNCTION app.ensure_device_event_partitions(bigint, interval) TO ${app_role};

-- THE ONE PLACE that says which events are still needed: the transaction id below which every event has
-- been processed by every consumer and no transaction can still write. A range partition ending at or
-- below it may be dropped. Today: the oldest event after the relay's cursor, else the oldest transaction
-- still running. (With per-consumer positions and a dead-letter store, take the least over the consumers'
-- positions and over the events still referenced by dead letters here.) A definer function: it reads every
-- tenant's events, and the owner's own reads would be filtered by the forced row-level security.
CREATE FUNCTION app.device_events_retention_floor() RETURNS xid8
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
DECLARE
    horizon xid8 := pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot());
    oldest  xid8;
BEGIN
    SELECT e.tx_id INTO oldest
      FROM public.event_dispatch_cursor c, public.device_events e
     WHERE e.tx_id >= c.tx_id AND (e.tx_id, e.seq) > (c.tx_id, c.seq)
     ORDER BY e.tx_id, e.seq
     LIMIT 1;
    RETURN least(coalesce(oldest, horizon), horizon);
END
$$;

-- When the newest event of a range was written (by the range's last transaction), null if it is empty.
CREATE FUNCTION app.device_events_newest_in(p_from xid8, p_to xid8) RETURNS timestamptz
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
    AS $$
BEGIN
    RETURN (SELECT e.occurred_at FROM public.device_events e
             WHERE e.tx_id >= p_from AND e.tx_id < p_to
             ORDER BY e.tx_id DESC, e.seq DESC
             LIMIT 1);
END
$$;
ALTER FUNCTION app.device_events_retention_floor() OWNER TO ${definer_role};
ALTER FUNCTION app.device_events_newest_in(xid8, xid8) OWNER TO ${definer_role};
REVOKE EXECUTE ON FUNCTION app.device_events_retention_floor() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION app.device_events_newest_in(xid8, xid8) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.device_events_retention_floor() TO CURRENT_USER, ${app_role};
GRANT EXECUTE ON FUNCTION app.device_events_newest_in(xid8, xid8) TO CURRENT_USER;

-- Drops the oldest range partition if every event in it is processed (its range ends at or below the
-- retention floor) and older than p_keep; returns its name, or null when there is nothing to drop. One
-- partition per call, so the caller sets a short lock_timeout (DROP locks the parent for a moment; DETACH
-- CONCURRENTLY is not allowed next to a default partition) and calls again.
CREATE FUNCTION app.drop_expired_device_event_partition(p_keep interval) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
DECLARE
    oldest public.device_event_partitions;
    newest timestamptz;
BEGIN
    IF p_keep < interval '1 day' THEN
        RAISE EXCEPTION 'device events are kept at least one day' USING ERRCODE = '22023';
    END IF;
    SELECT * INTO oldest FROM public.device_event_partitions p
     WHERE p.dropped_at IS NULL AND pg_catalog.to_regclass('public.' || pg_catalog.quote_ident(p.name)) IS NOT NULL
     ORDER BY p.from_tx LIMIT 1;
    IF NOT FOUND OR oldest.to_tx > app.device_events_retention_floor() THEN
        RETURN NULL;
    END IF;
    newest := app.device_events_newest_in(oldest.from_tx, oldest.to_tx);
    IF newest >= now() - p_keep THEN
        RETURN NULL;
    END IF;
    EXECUTE format('DROP TABLE public.%I', oldest.name);
    UPDATE public.device_event_partitions p
       SET dropped_at = now(), sealed_seq = coalesce(p.sealed_seq, (SELECT s.last_value FROM public.device_event_seq s))
     WHERE p.name = oldest.name;
    RETURN oldest.name;
END
$$;
GRANT EXECUTE ON FUNCTION app.drop_expired_device_event_partition(interval) TO ${app_role};

-- The highest seq that may have been dropped by retention (0: none): a live stream resuming at or below it
-- may have missed events and is told to reload.
CREATE FUNCTION app.device_events_expired_through() RETURNS bigint
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
    AS $$
    SELECT coalesce(max(p.sealed_seq), 0) FROM public.device_event_partitions p WHERE p.dropped_at IS NOT NULL
$$;
GRANT EXECUTE ON FUNCTION app.device_events_expired_through() TO ${app_role};

-- 4. The first partitions (the first one ends at the next transaction id), then the rows, ids and seqs
-- unchanged.
SELECT app.ensure_device_event_partitions(10000000, interval '7 days');

ALTER TABLE device_events_unpartitioned NO FORCE ROW LEVEL SECURITY;
INSERT INTO device_events (id, seq, tenant_id, user_id, device_id, kind, source, device_version, changes, snapshot,
                           occurred_at, device_name, device_type, tx_id)
SELECT id, seq, tenant_id, user_id, device_id, kind, source, device_version, changes, snapshot,
       occurred_at, device_name, device_type, coalesce(tx_id, '2')
  FROM device_events_unpartitioned;
-- Events from before V013 were dispatched then; the cursor must not see them as new under their new id.
UPDATE event_dispatch_cursor
   SET tx_id = '2', seq = greatest(seq, coalesce((SELECT max(u.seq) FROM device_events_unpartitioned u
                                                   WHERE u.tx_id IS NULL), 0))
 WHERE tx_id < '2';
DROP TABLE device_events_unpartitioned;
ALTER TABLE device_events FORCE ROW LEVEL SECURITY;

-- 5. The relay's reads say "at or after the cursor's transaction", so only the newest partitions are read.
CREATE OR REPLACE FUNCTION app.device_events_to_dispatch(p_tx xid8, p_seq bigint, p_limit integer)
    RETURNS TABLE (id uuid, seq bigint, tx_id xid8, tenant_id uuid, user_id uuid, device_id uuid,
                   device_name varchar, device_type varchar, kind varchar, source varchar, device_version bigint,
                   changes text, snapshot text, occurred_at timestamptz)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
    AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT e.id, e.seq, e.tx_id, e.tenant_id, e.user_id, e.device_id, e.device_name, e.device_type, e.kind,
           e.source, e.device_version, e.changes::text, e.snapshot::text, e.occurred_at
      FROM public.device_events e
     WHERE e.tx_id >= p_tx AND (e.tx_id, e.seq) > (p_tx, p_seq)
       AND e.tx_id < pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot())
     ORDER BY e.tx_id, e.seq
     LIMIT least(greatest(p_limit, 1), 1000);
END
$$;

CREATE OR REPLACE FUNCTION app.device_events_held_back(p_tx xid8, p_seq bigint) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
    AS $$
BEGIN
    -- not EXISTS (...): the planner drops the ORDER BY inside EXISTS and then prefers a sequential scan
    RETURN (SELECT e.seq FROM public.device_events e
             WHERE e.tx_id >= p_tx AND (e.tx_id, e.seq) > (p_tx, p_seq)
             ORDER BY e.tx_id, e.seq
             LIMIT 1) IS NOT NULL;
END
$$;

-- 6. activity_logs retention: drops the oldest monthly partition whose month ended more than p_keep ago;
-- returns its name, or null. One partition per call, for the same reason as above.
CREATE FUNCTION app.drop_expired_activity_partition(p_keep interval) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
DECLARE
    part text;
BEGIN
    IF p_keep < interval '30 days' THEN
        RAISE EXCEPTION 'the activity log is kept at least 30 days' USING ERRCODE = '22023';
    END IF;
    SELECT c.relname INTO part
      FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'public.activity_logs'::regclass
       AND c.relname ~ '^activity_logs_[0-9]{4}_[0-9]{2}$'
       AND (pg_catalog.to_date(substr(c.relname, 15), 'YYYY_MM') + interval '1 month')::timestamp AT TIME ZONE 'UTC'
           <= now() - p_keep
     ORDER BY c.relname
     LIMIT 1;
    IF part IS NOT NULL THEN
        EXECUTE format('DROP TABLE public.%I', part);
    END IF;
    RETURN part;
END
$$;
GRANT EXECUTE ON FUNCTION app.drop_expired_activity_partition(interval) TO ${app_role};
