-- IFTTT service API (issue 12): what the realtime notifications and the dashboard need beside the trigger
-- identities V001 stores (ifttt_trigger_subscriptions).
--
-- 1. Trigger identities: when IFTTT was last told to poll one (realtime), when a poll was last written to the
--    activity log (at most one entry per identity and 15 minutes), and an index for the realtime matching
--    ("this user's identities on this device"; the device's IFTTT id is the trigger field "device").
ALTER TABLE ifttt_trigger_subscriptions
    ADD COLUMN last_notified_at timestamptz,
    ADD COLUMN last_logged_at   timestamptz;
CREATE INDEX ifttt_trigger_subscriptions_device_idx
    ON ifttt_trigger_subscriptions (user_id, (trigger_fields ->> 'device'));

-- 2. Pending realtime notifications: one row per trigger identity waiting to be announced to IFTTT
--    (coalesced: a second change before the first is sent adds nothing), staged by the "ifttt" change-event
--    consumer in its dispatch transaction, sent in batches of up to 1000 after due_at (the debounce), and
--    deleted once IFTTT accepted them. A failed send moves due_at on (backoff); nothing is dropped while the
--    identity exists. claimed_until is a sender's lease (several instances claim with SKIP LOCKED).
CREATE TABLE ifttt_realtime_notices (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id        uuid NOT NULL,
    user_id          uuid NOT NULL,
    subscription_id  uuid NOT NULL REFERENCES ifttt_trigger_subscriptions (id) ON DELETE CASCADE,
    trigger_identity varchar(255) NOT NULL,
    due_at           timestamptz NOT NULL,
    attempts         integer NOT NULL DEFAULT 0,
    claimed_until    timestamptz,
    last_error       varchar(500),
    created_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ifttt_realtime_notices_subscription_key UNIQUE (subscription_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX ifttt_realtime_notices_due_idx ON ifttt_realtime_notices (due_at);

ALTER TABLE ifttt_realtime_notices ENABLE ROW LEVEL SECURITY;
ALTER TABLE ifttt_realtime_notices FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON ifttt_realtime_notices TO ${app_role};
CREATE POLICY ifttt_realtime_notices_user_isolation ON ifttt_realtime_notices FOR ALL TO ${app_role}
    USING (user_id = (SELECT app.current_user_id()) AND tenant_id = (SELECT app.current_tenant_id()))
    WITH CHECK (user_id = (SELECT app.current_user_id()) AND tenant_id = (SELECT app.current_tenant_id()));
CREATE POLICY ifttt_realtime_notices_definer ON ifttt_realtime_notices TO ${definer_role}
    USING (true) WITH CHECK (true);
GRANT SELECT, UPDATE, DELETE ON ifttt_realtime_notices TO ${definer_role};
CREATE POLICY ifttt_trigger_subscriptions_definer ON ifttt_trigger_subscriptions TO ${definer_role}
    USING (true) WITH CHECK (true);
GRANT SELECT, UPDATE (last_notified_at) ON ifttt_trigger_subscriptions TO ${definer_role};

-- 3. The sender's cross-tenant steps, returning the minimum: claim due notices (id and the identity to
--    announce), then report them delivered (deleted, the identity's last_notified_at set) or failed (retried
--    after the next of p_delays). Claims are leases: a sender that dies leaves them to be claimed again after p_lease.
CREATE FUNCTION app.claim_ifttt_realtime_notices(p_limit integer, p_lease interval)
    RETURNS TABLE (id uuid, trigger_identity text)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH due AS (
        SELECT n.id
          FROM public.ifttt_realtime_notices n
         WHERE n.due_at <= now() AND (n.claimed_until IS NULL OR n.claimed_until < now())
         ORDER BY n.due_at
         LIMIT least(greatest(p_limit, 1), 1000)
           FOR UPDATE SKIP LOCKED)
    UPDATE public.ifttt_realtime_notices n
       SET claimed_until = now() + p_lease
      FROM due
     WHERE n.id = due.id
    RETURNING n.id, n.trigger_identity::text;
END
$$;

CREATE FUNCTION app.ifttt_realtime_delivered(p_ids uuid[])
    RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
DECLARE
    n integer;
BEGIN
    UPDATE public.ifttt_trigger_subscriptions s
       SET last_notified_at = now()
     WHERE s.id IN (SELECT r.subscription_id FROM public.ifttt_realtime_notices r WHERE r.id = ANY (p_ids));
    DELETE FROM public.ifttt_realtime_notices r WHERE r.id = ANY (p_ids);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

-- p_delays: the wait before each retry (the last one repeats), e.g. {5s,30s,2min,10min}
CREATE FUNCTION app.ifttt_realtime_failed(p_ids uuid[], p_delays interval[], p_error text)
    RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
DECLARE
    n integer;
BEGIN
    UPDATE public.ifttt_realtime_notices r
       SET attempts = r.attempts + 1,
           due_at = now() + p_delays[least(r.attempts + 1, greatest(cardinality(p_delays), 1))],
           claimed_until = NULL,
           last_error = left(p_error, 500)
     WHERE r.id = ANY (p_ids);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

ALTER FUNCTION app.claim_ifttt_realtime_notices(integer, interval) OWNER TO ${definer_role};
ALTER FUNCTION app.ifttt_realtime_delivered(uuid[]) OWNER TO ${definer_role};
ALTER FUNCTION app.ifttt_realtime_failed(uuid[], interval[], text) OWNER TO ${definer_role};
REVOKE EXECUTE ON FUNCTION app.claim_ifttt_realtime_notices(integer, interval) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION app.ifttt_realtime_delivered(uuid[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION app.ifttt_realtime_failed(uuid[], interval[], text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.claim_ifttt_realtime_notices(integer, interval) TO ${app_role};
GRANT EXECUTE ON FUNCTION app.ifttt_realtime_delivered(uuid[]) TO ${app_role};
GRANT EXECUTE ON FUNCTION app.ifttt_realtime_failed(uuid[], interval[], text) TO ${app_role};

-- 4. The IFTTT endpoint tests' own user, created by POST /ifttt/v1/test/setup and reset on every later call:
--    one row at most. The row names a tenant, so RLS is forced and only these two definer functions (the
--    service-key-authenticated setup has no user context yet) read or write it.
CREATE TABLE ifttt_test_user (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    tenant_id  uuid NOT NULL,
    user_id    uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
ALTER TABLE ifttt_test_user ENABLE ROW LEVEL SECURITY;
ALTER TABLE ifttt_test_user FORCE ROW LEVEL SECURITY;
CREATE POLICY ifttt_test_user_definer ON ifttt_test_user TO ${definer_role} USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON ifttt_test_user TO ${definer_role};

CREATE FUNCTION app.ifttt_test_user()
    RETURNS TABLE (tenant_id uuid, user_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
    AS $$ SELECT t.tenant_id, t.user_id FROM public.ifttt_test_user t $$;

CREATE FUNCTION app.set_ifttt_test_user(p_tenant uuid, p_user uuid)
    RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = ''
    AS $$
    INSERT INTO public.ifttt_test_user (singleton, tenant_id, user_id) VALUES (true, p_tenant, p_user)
        ON CONFLICT (singleton) DO UPDATE SET tenant_id = excluded.tenant_id, user_id = excluded.user_id,
                                              created_at = now()
    $$;

ALTER FUNCTION app.ifttt_test_user() OWNER TO ${definer_role};
ALTER FUNCTION app.set_ifttt_test_user(uuid, uuid) OWNER TO ${definer_role};
REVOKE EXECUTE ON FUNCTION app.ifttt_test_user() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION app.set_ifttt_test_user(uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.ifttt_test_user() TO ${app_role};
GRANT EXECUTE ON FUNCTION app.set_ifttt_test_user(uuid, uuid) TO ${app_role};
