-- Alexa proactive events (issue 10 parts 5 and 7): the outbox the "alexa" change-event consumer stages into
-- and the Event Gateway sender drains, which is also the per-endpoint history the diagnostics show.
--
-- One row = one message still to send, or one already sent (kept as history: the newest
-- virtdevice.alexa.events.history-per-endpoint finished rows of each endpoint). Rows of one endpoint go out
-- in seq order: a row is only sent when no earlier row of its endpoint is pending. A ChangeReport that
-- has not started its (next) attempt absorbs later changes of its endpoint (coalescing: latest state, the
-- union of the changed properties); a DoorbellPress is never absorbed.
--
-- No foreign key to users or devices: a DeleteReport must still go out after the device, or its user
-- (account deletion), is gone.

CREATE TABLE alexa_event_outbox (
    id               uuid PRIMARY KEY,
    seq              bigint GENERATED ALWAYS AS IDENTITY,
    tenant_id        uuid NOT NULL,
    user_id          uuid NOT NULL,
    device_id        uuid,
    endpoint_id      text NOT NULL CHECK (length(endpoint_id) BETWEEN 1 AND 256),
    kind             text NOT NULL CHECK (kind IN ('ChangeReport', 'DoorbellPress', 'AddOrUpdateReport',
                                                   'DeleteReport')),
    cause            text,
    -- ChangeReport: every reportable property of the latest state (Alexa property objects); others: the
    -- message without its token and messageId (both are set per attempt)
    body             jsonb NOT NULL,
    -- ChangeReport: the properties that changed ("namespace.name"), what goes into payload.change
    changed          text[] NOT NULL DEFAULT '{}',
    last_event_seq   bigint NOT NULL,
    event_count      integer NOT NULL DEFAULT 1,
    first_change_at  timestamptz NOT NULL,
    last_change_at   timestamptz NOT NULL,
    test             boolean NOT NULL DEFAULT false,
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'sent', 'failed', 'expired')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    lease_until      timestamptz,
    lease_owner      integer,
    region           text,
    message_id       text,
    http_status      integer,
    gateway_code     text,
    error            text,
    latency_ms       integer,
    finished_at      timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
COMMENT ON COLUMN alexa_event_outbox.lease_owner IS
    'the process sending the row: it holds advisory lock (1447319368, lease_owner) while alive (LeaseOwner)';
CREATE UNIQUE INDEX alexa_event_outbox_seq_key ON alexa_event_outbox (seq);
CREATE INDEX alexa_event_outbox_endpoint_idx ON alexa_event_outbox (user_id, endpoint_id, seq DESC);
CREATE INDEX alexa_event_outbox_pending_idx ON alexa_event_outbox (endpoint_id, seq) WHERE status = 'pending';
CREATE INDEX alexa_event_outbox_due_idx ON alexa_event_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX alexa_event_outbox_user_finished_idx ON alexa_event_outbox (user_id, finished_at)
    WHERE status <> 'pending';
CREATE TRIGGER alexa_event_outbox_touch BEFORE UPDATE ON alexa_event_outbox
    FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();

ALTER TABLE alexa_event_outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE alexa_event_outbox FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON alexa_event_outbox TO ${app_role};
CREATE POLICY alexa_event_outbox_user_isolation ON alexa_event_outbox FOR ALL TO ${app_role}
    USING (user_id = (SELECT app.current_user_id()) AND tenant_id = (SELECT app.current_tenant_id()))
    WITH CHECK (user_id = (SELECT app.current_user_id()) AND tenant_id = (SELECT app.current_tenant_id()));

CREATE POLICY alexa_event_outbox_definer ON alexa_event_outbox TO ${definer_role} USING (true) WITH CHECK (true);
GRANT SELECT (id, seq, tenant_id, user_id, endpoint_id, status, next_attempt_at, lease_until, lease_owner),
      UPDATE (lease_until, lease_owner) ON alexa_event_outbox TO ${definer_role};

-- Claims, across tenants, rows that are due and whose turn it is (the earliest pending row of their
-- endpoint) and that nobody alive is sending: unleased (waiting for a retry, or staged behind another row),
-- lease run out, or leased by a process whose advisory lock is gone (it died). Leases them to p_owner and
-- returns only ids and owners: the attempt itself runs under the owner's context.
CREATE FUNCTION app.claim_alexa_events(p_owner integer, p_lease_ms integer, p_limit integer)
    RETURNS TABLE (id uuid, tenant_id uuid, user_id uuid)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH live AS (
        SELECT l.objid
          FROM pg_catalog.pg_locks l
         WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 1447319368 AND l.objsubid = 2
           AND l.database = (SELECT b.oid FROM pg_catalog.pg_database b
                              WHERE b.datname = pg_catalog.current_database())),
    due AS (
        SELECT o.id
          FROM public.alexa_event_outbox o
         WHERE o.status = 'pending' AND o.next_attempt_at <= now()
           AND (o.lease_until IS NULL OR o.lease_until < now()
                OR (o.lease_owner IS NOT NULL AND NOT EXISTS (
                        SELECT 1 FROM live WHERE live.objid = o.lease_owner::oid)))
           AND NOT EXISTS (SELECT 1 FROM public.alexa_event_outbox e
                            WHERE e.endpoint_id = o.endpoint_id AND e.status = 'pending' AND e.seq < o.seq)
         ORDER BY o.next_attempt_at
         LIMIT least(greatest(p_limit, 1), 1000)
           FOR UPDATE OF o SKIP LOCKED)
    UPDATE public.alexa_event_outbox o
       SET lease_until = now() + make_interval(secs => p_lease_ms / 1000.0), lease_owner = p_owner
      FROM due
     WHERE o.id = due.id
    RETURNING o.id, o.tenant_id, o.user_id;
END
$$;
ALTER FUNCTION app.claim_alexa_events(integer, integer, integer) OWNER TO ${definer_role};
REVOKE ALL ON FUNCTION app.claim_alexa_events(integer, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.claim_alexa_events(integer, integer, integer) TO ${app_role};
