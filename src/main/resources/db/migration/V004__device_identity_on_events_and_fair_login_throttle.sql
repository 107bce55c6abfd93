-- Issue 9, sections 5 and 8.
--
-- 1. A change event names the device the way every integration knows it, so a consumer can act on it
--    after the device row is gone (an Alexa DeleteReport names the endpoint id, IFTTT its device id).
--    Nullable: events stored before this migration have neither.
-- 2. A user's devices never disappear without their device.deleted events: account deletion and member
--    removal delete them through DeviceManagement first (one event per device, in the same transaction),
--    and the functions below refuse (VD412) when a device was added meanwhile instead of cascading it
--    away silently. They no longer delete the user's device_events either: an event a consumer has not
--    processed yet must survive its user; the events go with the event retention like everybody's.
-- 3. Login throttling punishes the attacker's address, not the account: 10 failures per (email, address)
--    and 50 per address in 15 minutes, and only past 100 failures per email from everywhere are the
--    addresses that never signed in to it (within the 30 days security_events are kept) turned away.

ALTER TABLE device_events
    ADD COLUMN alexa_endpoint_id varchar(256),
    ADD COLUMN ifttt_device_id varchar(64);
-- the app inserts listed columns only (partitioning migration): these two are the app's to write
GRANT INSERT (alexa_endpoint_id, ifttt_device_id) ON device_events TO ${app_role};

DROP FUNCTION app.device_events_to_dispatch(xid8, bigint, integer);
CREATE FUNCTION app.device_events_to_dispatch(p_tx xid8, p_seq bigint, p_limit integer)
    RETURNS TABLE (id uuid, seq bigint, tx_id xid8, tenant_id uuid, user_id uuid, device_id uuid,
                   device_name varchar, device_type varchar, kind varchar, source varchar, device_version bigint,
                   changes text, snapshot text, occurred_at timestamptz, alexa_endpoint_id varchar,
                   ifttt_device_id varchar)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
    AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT e.id, e.seq, e.tx_id, e.tenant_id, e.user_id, e.device_id, e.device_name, e.device_type, e.kind,
           e.source, e.device_version, e.changes::text, e.snapshot::text, e.occurred_at, e.alexa_endpoint_id,
           e.ifttt_device_id
      FROM public.device_events e
     WHERE e.tx_id >= p_tx AND (e.tx_id, e.seq) > (p_tx, p_seq)
       AND e.tx_id < pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot())
     ORDER BY e.tx_id, e.seq
     LIMIT least(greatest(p_limit, 1), 1000);
END
$$;
ALTER FUNCTION app.device_events_to_dispatch(xid8, bigint, integer) OWNER TO ${definer_role};
REVOKE EXECUTE ON FUNCTION app.device_events_to_dispatch(xid8, bigint, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.device_events_to_dispatch(xid8, bigint, integer) TO ${app_role};

-- ---------------------------------------------------------------------------------------------------
-- Member removal and account deletion: same rules as before (V006, V014); devices must be gone already.
-- ---------------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION app.remove_member(p_user_id uuid) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
DECLARE
    me public.user_role := app.caller_role();
    target public.user_role;
    v_email text;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('tenant_members:' || app.current_tenant_id()::text, 0));
    SELECT u.role, u.email INTO target, v_email FROM public.users u
     WHERE u.id = p_user_id AND u.tenant_id = app.current_tenant_id();
    IF target IS NULL THEN
        RAISE EXCEPTION 'no such member' USING ERRCODE = 'VD404';
    END IF;
    IF me IS NULL OR me = 'member' OR p_user_id = app.current_user_id()
       OR app.role_rank(target) > app.role_rank(me) THEN
        RAISE EXCEPTION 'not allowed' USING ERRCODE = 'VD403';
    END IF;
    -- the caller deleted the member's devices (with their events) in this transaction
    IF EXISTS (SELECT 1 FROM public.devices d WHERE d.user_id = p_user_id) THEN
        RAISE EXCEPTION 'devices remain' USING ERRCODE = 'VD412';
    END IF;
    DELETE FROM public.users WHERE id = p_user_id;
    DELETE FROM public.security_events WHERE email = v_email;
    RETURN v_email;
END
$$;

CREATE OR REPLACE FUNCTION app.delete_own_account() RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
DECLARE
    me public.user_role := app.caller_role();
    v_email text;
    others integer;
    other_owners integer;
BEGIN
    IF me IS NULL THEN
        RAISE EXCEPTION 'no such user' USING ERRCODE = 'VD404';
    END IF;
    -- serialise concurrent departures from one tenant
    PERFORM pg_advisory_xact_lock(hashtextextended('tenant_members:' || app.current_tenant_id()::text, 0));
    SELECT count(*) FILTER (WHERE true), count(*) FILTER (WHERE u.role = 'owner')
      INTO others, other_owners
      FROM public.users u WHERE u.tenant_id = app.current_tenant_id() AND u.id <> app.current_user_id();
    SELECT u.email INTO v_email FROM public.users u WHERE u.id = app.current_user_id();
    IF others > 0 AND me = 'owner' AND other_owners = 0 THEN
        RAISE EXCEPTION 'the last owner must transfer ownership first' USING ERRCODE = 'VD409';
    END IF;
    -- the caller deleted the user's devices (with their events) in this transaction
    IF EXISTS (SELECT 1 FROM public.devices d WHERE d.user_id = app.current_user_id()) THEN
        RAISE EXCEPTION 'devices remain' USING ERRCODE = 'VD412';
    END IF;
    IF others = 0 THEN
        DELETE FROM public.tenants WHERE id = app.current_tenant_id();
        DELETE FROM public.activity_logs WHERE tenant_id = app.current_tenant_id();
    ELSE
        DELETE FROM public.users WHERE id = app.current_user_id();
    END IF;
    DELETE FROM public.security_events WHERE email = v_email;
    RETURN v_email;
END
$$;

-- ---------------------------------------------------------------------------------------------------
-- Login throttle (replaces V006's): a delay in seconds, 0 to go ahead.
-- ---------------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION app.login_retry_after(p_email text, p_ip inet) RETURNS integer
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
    AS $$
DECLARE
    window_start timestamptz := now() - interval '15 minutes';
    v_email text := lower(p_email);
    failures integer;
    oldest timestamptz;
BEGIN
    -- this address against this account: a guesser stops here, the owner elsewhere is not affected
    SELECT count(*), min(created_at) INTO failures, oldest FROM (
        SELECT created_at FROM public.security_events
         WHERE email = v_email AND ip_address IS NOT DISTINCT FROM p_ip
           AND kind = 'login_failed' AND created_at > window_start
         ORDER BY created_at DESC LIMIT 10) recent;
    IF failures >= 10 THEN
        RETURN greatest(1, ceil(extract(epoch FROM (oldest + interval '15 minutes' - now())))::integer);
    END IF;
    -- this address against every account (password spraying)
    IF p_ip IS NOT NULL THEN
        SELECT count(*), min(created_at) INTO failures, oldest FROM (
            SELECT created_at FROM public.security_events
             WHERE ip_address = p_ip AND kind = 'login_failed' AND created_at > window_start
             ORDER BY created_at DESC LIMIT 50) recent;
        IF failures >= 50 THEN
            RETURN greatest(1, ceil(extract(epoch FROM (oldest + interval '15 minutes' - now())))::integer);
        END IF;
    END IF;
    -- many addresses against this account: only addresses it was signed in from recently keep trying
    SELECT count(*), min(created_at) INTO failures, oldest FROM (
        SELECT created_at FROM public.security_events
         WHERE email = v_email AND kind = 'login_failed' AND created_at > window_start
         ORDER BY created_at DESC LIMIT 100) recent;
    IF failures >= 100 AND NOT EXISTS (
            SELECT 1 FROM public.security_events s
             WHERE s.email = v_email AND s.kind = 'login_succeeded' AND s.ip_address = p_ip) THEN
        RETURN greatest(1, ceil(extract(epoch FROM (oldest + interval '15 minutes' - now())))::integer);
    END IF;
    RETURN 0;
END
$$;
