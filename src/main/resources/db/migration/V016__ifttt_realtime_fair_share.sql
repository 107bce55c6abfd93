-- Fair share of the IFTTT Realtime API (issue 16 item 3): what a realtime notice carried and how often it
-- waited, for the IFTTT page's diagnostics. On a waiting notice: how many later changes of its trigger
-- identity folded into it (coalesced) and how often it was held for its user's share of the service's
-- realtime budget (delayed); on the trigger identity: the same, summed over the notices IFTTT accepted.
-- Constant defaults: instant, no rewrite; lock_timeout so a long transaction on either table makes this fail
-- (and be retried) rather than queue the senders and the trigger polls behind it.
SET lock_timeout = '5s';
ALTER TABLE ifttt_realtime_notices
    ADD COLUMN coalesced integer NOT NULL DEFAULT 0,
    ADD COLUMN delayed   integer NOT NULL DEFAULT 0;
COMMENT ON COLUMN ifttt_realtime_notices.coalesced IS
    'later changes of the trigger identity folded into this waiting notice (one notice tells IFTTT to poll once)';
COMMENT ON COLUMN ifttt_realtime_notices.delayed IS
    'times the notice was held back for its user''s fair share of the realtime budget (it keeps coalescing meanwhile)';
ALTER TABLE ifttt_trigger_subscriptions
    ADD COLUMN realtime_coalesced bigint NOT NULL DEFAULT 0,
    ADD COLUMN realtime_delayed   bigint NOT NULL DEFAULT 0;
COMMENT ON COLUMN ifttt_trigger_subscriptions.realtime_coalesced IS
    'changes folded into realtime notices IFTTT accepted for this identity';
COMMENT ON COLUMN ifttt_trigger_subscriptions.realtime_delayed IS
    'holds of realtime notices IFTTT accepted for this identity (its user''s fair share)';
GRANT UPDATE (realtime_coalesced, realtime_delayed) ON ifttt_trigger_subscriptions TO ${definer_role};

-- The fair-share sender claims with the user (whose share a notice takes) and what it carried; the V011
-- claim stays for instances of the previous release during a rolling upgrade.
CREATE FUNCTION app.claim_ifttt_realtime_notices_shared(p_limit integer, p_lease interval)
    RETURNS TABLE (id uuid, trigger_identity text, user_id uuid, coalesced integer)
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
    RETURNING n.id, n.trigger_identity::text, n.user_id, n.coalesced;
END
$$;

-- A claimed notice whose user's share is spent: back to waiting until p_wait from now (its lease ends), one
-- more hold counted; it keeps absorbing later changes of its identity meanwhile. Never deleted here.
CREATE FUNCTION app.ifttt_realtime_held(p_ids uuid[], p_wait interval)
    RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
DECLARE
    n integer;
BEGIN
    UPDATE public.ifttt_realtime_notices r
       SET due_at = now() + p_wait,
           claimed_until = NULL,
           delayed = r.delayed + 1
     WHERE r.id = ANY (p_ids);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

-- Delivered: as in V011, and what the notice carried is added to its identity's totals.
CREATE OR REPLACE FUNCTION app.ifttt_realtime_delivered(p_ids uuid[])
    RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
DECLARE
    n integer;
BEGIN
    UPDATE public.ifttt_trigger_subscriptions s
       SET last_notified_at = now(),
           realtime_coalesced = s.realtime_coalesced + r.coalesced,
           realtime_delayed = s.realtime_delayed + r.delayed
      FROM public.ifttt_realtime_notices r
     WHERE r.id = ANY (p_ids) AND s.id = r.subscription_id;
    DELETE FROM public.ifttt_realtime_notices r WHERE r.id = ANY (p_ids);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

ALTER FUNCTION app.claim_ifttt_realtime_notices_shared(integer, interval) OWNER TO ${definer_role};
ALTER FUNCTION app.ifttt_realtime_held(uuid[], interval) OWNER TO ${definer_role};
REVOKE EXECUTE ON FUNCTION app.claim_ifttt_realtime_notices_shared(integer, interval) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION app.ifttt_realtime_held(uuid[], interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.claim_ifttt_realtime_notices_shared(integer, interval) TO ${app_role};
GRANT EXECUTE ON FUNCTION app.ifttt_realtime_held(uuid[], interval) TO ${app_role};
