-- A realtime notice that absorbed a change while it was being sent is not deleted when IFTTT accepts it
-- (docs/decisions.md, "A change made while its realtime notice was being sent"). IFTTT may already have
-- polled the identity before that change committed, so deleting the notice left the change for IFTTT's own
-- slow poll or the identity's next change. The sender now reports what it sent: the claimed notices with
-- the coalesced count each had when claimed. A notice whose count has grown since is sent again: it waits
-- for p_debounce, counting the changes it absorbed after the first one. A notice whose count has not grown
-- is deleted, as before.
-- The V016 function stays for instances of the previous release during a rolling upgrade.
CREATE FUNCTION app.ifttt_realtime_delivered_as_claimed(p_ids uuid[], p_coalesced integer[], p_debounce interval)
    RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
DECLARE
    n integer;
BEGIN
    -- hold the notices until this ends: a change staged meanwhile waits, then finds a notice or none
    PERFORM 1 FROM public.ifttt_realtime_notices r WHERE r.id = ANY (p_ids) ORDER BY r.id FOR UPDATE;
    -- what IFTTT was told counts for the identity: the changes the notice carried when claimed
    UPDATE public.ifttt_trigger_subscriptions s
       SET last_notified_at = now(),
           realtime_coalesced = s.realtime_coalesced + c.coalesced,
           realtime_delayed = s.realtime_delayed + r.delayed
      FROM public.ifttt_realtime_notices r
      JOIN unnest(p_ids, p_coalesced) AS c(id, coalesced) ON c.id = r.id
     WHERE s.id = r.subscription_id;
    DELETE FROM public.ifttt_realtime_notices r
     USING unnest(p_ids, p_coalesced) AS c(id, coalesced)
     WHERE r.id = c.id AND r.coalesced <= c.coalesced;
    GET DIAGNOSTICS n = ROW_COUNT;
    -- absorbed a change while in flight: that change becomes the notice's own, the rest stay coalesced
    UPDATE public.ifttt_realtime_notices r
       SET coalesced = r.coalesced - c.coalesced - 1,
           delayed = 0,
           attempts = 0,
           claimed_until = NULL,
           last_error = NULL,
           due_at = now() + p_debounce
      FROM unnest(p_ids, p_coalesced) AS c(id, coalesced)
     WHERE r.id = c.id AND r.coalesced > c.coalesced;
    RETURN n;
END
$$;

ALTER FUNCTION app.ifttt_realtime_delivered_as_claimed(uuid[], integer[], interval) OWNER TO ${definer_role};
REVOKE EXECUTE ON FUNCTION app.ifttt_realtime_delivered_as_claimed(uuid[], integer[], interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.ifttt_realtime_delivered_as_claimed(uuid[], integer[], interval) TO ${app_role};
