-- Run by scripts/restore.sh at the end of a logical restore, in the transaction that loaded the dump, as the
-- superuser (docs/operations.md, "Logical backups (pg_dump)": "Transaction ids after a logical restore").
-- Anyone loading a VirtDevice pg_dump into another PostgreSQL server runs it the same way: after the data,
-- before VirtDevice starts, as a superuser, in the loading transaction or right after it.
--
-- Why: device_events.tx_id (the writer's transaction id, the partition key) and the partitions' ledger
-- (device_event_partitions) carry the old cluster's transaction ids; a new cluster's ids start again far
-- below them. Left so, the relay reads only "tx_id < the snapshot's xmax" and would pass over every event
-- not yet handed to every consumer at the dump (the position moves past them: lost), new events would land
-- in the first range, sealed long ago (and later be skipped by app.device_events_tx_floor), and retention
-- would drop nothing until the new ids passed the old ones.
--
-- What: every restored event was written, as far as this cluster is concerned, by this loading transaction:
-- its tx_id becomes this transaction's id (committed before any transaction of the new cluster, below every
-- later snapshot's xmin). The restored range partitions and the default partition's rows become one range
-- partition [2, this id + 1) (named device_events_2, sealed at the sequence's restored value), followed by
-- one empty range of the old newest range's width for the new ids; the events.partitions job carries on from
-- there. The ledger's dropped ranges stay (their sealed_seq tells live streams resuming from an older seq to
-- reload) under new names and an empty id range [1, 2), so that no name or range collides with the new
-- cluster's. Seqs, ids and the consumers' positions (by seq) are unchanged. A pre-V007 dump's single cursor
-- (tx_id, seq) is moved to the same place in the new order. Idempotent: a second run maps to its own id.
DO $fixup$
DECLARE
    cur        xid8 := pg_catalog.pg_current_xact_id();
    nxt        xid8 := (cur::text::numeric + 1)::text::xid8;
    owner      name;
    cols       text;
    width      numeric;
    cursor_seq bigint;
    part       record;
BEGIN
    IF pg_catalog.to_regclass('public.device_events') IS NULL THEN
        RETURN;  -- not a VirtDevice database, or one from before the first migration
    END IF;
    -- device_events has forced row-level security with no policy for its owner: anyone else would copy
    -- nothing in 1. and then drop the partitions in 2.
    IF NOT (SELECT r.rolsuper OR r.rolbypassrls FROM pg_catalog.pg_roles r WHERE r.rolname = CURRENT_USER) THEN
        RAISE EXCEPTION 'logical-restore-xids.sql must run as a superuser (or a role with BYPASSRLS)';
    END IF;
    -- the single cursor of releases before V007: the seq before the first event it had not passed
    IF pg_catalog.to_regclass('public.event_dispatch_cursor') IS NOT NULL THEN
        SELECT coalesce((SELECT min(e.seq) - 1 FROM public.device_events e, public.event_dispatch_cursor c
                          WHERE e.tx_id IS NOT NULL AND (e.tx_id, e.seq) > (c.tx_id, c.seq)),
                        (SELECT max(e.seq) FROM public.device_events e), 0)
          INTO cursor_seq;
        UPDATE public.event_dispatch_cursor SET tx_id = cur, seq = cursor_seq;
    END IF;
    IF pg_catalog.to_regclass('public.device_event_partitions') IS NULL THEN
        -- before V003: one table; V003 partitions it in the new cluster's ids
        UPDATE public.device_events SET tx_id = cur WHERE tx_id IS NOT NULL AND tx_id <> '2';
        RETURN;
    END IF;

    SELECT c.relowner::regrole::name INTO owner FROM pg_catalog.pg_class c WHERE c.oid = 'public.device_events'::regclass;
    SELECT coalesce((SELECT p.to_tx::text::numeric - p.from_tx::text::numeric FROM public.device_event_partitions p
                      WHERE p.dropped_at IS NULL ORDER BY p.to_tx DESC LIMIT 1), 10000000)
      INTO width;
    width := least(greatest(width, 1000), 1000000000000);

    -- 1. every restored event, written by this transaction, into one new table (the old tx_id kept nowhere)
    SELECT pg_catalog.string_agg(CASE WHEN a.attname = 'tx_id' THEN pg_catalog.quote_literal(cur::text) || '::xid8'
                                      ELSE pg_catalog.quote_ident(a.attname) END, ', ' ORDER BY a.attnum)
      INTO cols
      FROM pg_catalog.pg_attribute a
     WHERE a.attrelid = 'public.device_events'::regclass AND a.attnum > 0 AND NOT a.attisdropped;
    CREATE TABLE public.device_events_restoring
        (LIKE public.device_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
    EXECUTE format('INSERT INTO public.device_events_restoring SELECT %s FROM public.device_events', cols);

    -- 2. the old range partitions go, and the default partition is emptied
    FOR part IN SELECT c.relname FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
                 WHERE i.inhparent = 'public.device_events'::regclass AND c.relname <> 'device_events_default'
    LOOP
        EXECUTE format('DROP TABLE public.%I', part.relname);
    END LOOP;
    DELETE FROM public.device_events_default;

    -- 3. the ledger: dropped ranges keep their sealed_seq under names and ids no new range can take
    DELETE FROM public.device_event_partitions p WHERE p.dropped_at IS NULL;
    UPDATE public.device_event_partitions p
       SET name = p.name || ' before the restore at ' || cur::text, from_tx = '1', to_tx = '2';

    -- 4. the restored events' range, then one range ahead for the new cluster's ids
    ALTER TABLE public.device_events_restoring RENAME TO device_events_2;
    ALTER TABLE public.device_events_2 ENABLE ROW LEVEL SECURITY;
    ALTER TABLE public.device_events_2 FORCE ROW LEVEL SECURITY;
    EXECUTE format('ALTER TABLE public.device_events_2 OWNER TO %I', owner);
    EXECUTE format('ALTER TABLE public.device_events ATTACH PARTITION public.device_events_2 FOR VALUES FROM (%L) TO (%L)',
                   '2', nxt);
    INSERT INTO public.device_event_partitions (name, from_tx, to_tx, created_xid, sealed_seq)
    VALUES ('device_events_2', '2', nxt, cur, (SELECT s.last_value FROM public.device_event_seq s));

    EXECUTE format('CREATE TABLE public.%I (LIKE public.device_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
                   'device_events_' || nxt::text);
    EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', 'device_events_' || nxt::text);
    EXECUTE format('ALTER TABLE public.%I FORCE ROW LEVEL SECURITY', 'device_events_' || nxt::text);
    EXECUTE format('ALTER TABLE public.%I OWNER TO %I', 'device_events_' || nxt::text, owner);
    EXECUTE format('ALTER TABLE public.device_events ATTACH PARTITION public.%I FOR VALUES FROM (%L) TO (%L)',
                   'device_events_' || nxt::text, nxt, (nxt::text::numeric + width)::text);
    INSERT INTO public.device_event_partitions (name, from_tx, to_tx, created_xid)
    VALUES ('device_events_' || nxt::text, nxt, (nxt::text::numeric + width)::text::xid8, cur);
END
$fixup$;
