-- Age-based retention of the Alexa event outbox's history (alexa.purge-events): finished rows (sent, failed,
-- expired) older than virtdevice.alexa.event-gateway.history-retention are deleted across tenants, in
-- batches. The per-endpoint pruning (history-per-endpoint) only runs when one of the endpoint's events
-- finishes, so a deleted device's last rows, or those of a user who went quiet, were kept forever.
-- Pending rows (due, retrying, held for the fair share) are never touched. The index it walks is built
-- concurrently by the next migration; until it exists the delete falls back to a scan (bounded by p_batch).

CREATE FUNCTION app.purge_alexa_events(p_older_than_seconds integer, p_batch integer) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
DECLARE
    n integer;
BEGIN
    IF p_older_than_seconds < 86400 OR p_batch < 1 OR p_batch > 100000 THEN
        RAISE EXCEPTION 'invalid retention arguments' USING ERRCODE = '22023';
    END IF;
    DELETE FROM public.alexa_event_outbox
     WHERE id IN (SELECT o.id FROM public.alexa_event_outbox o
                   WHERE o.status <> 'pending'
                     AND o.finished_at < now() - make_interval(secs => p_older_than_seconds)
                   LIMIT p_batch);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
ALTER FUNCTION app.purge_alexa_events(integer, integer) OWNER TO ${definer_role};
REVOKE ALL ON FUNCTION app.purge_alexa_events(integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.purge_alexa_events(integer, integer) TO ${app_role};
GRANT SELECT (finished_at), DELETE ON alexa_event_outbox TO ${definer_role};
