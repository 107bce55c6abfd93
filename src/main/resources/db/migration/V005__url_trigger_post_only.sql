-- URL-trigger links that only fire on POST (issue 9): a GET on them answers 405 and changes nothing, so
-- a link preview, a mail scanner or a browser prefetch cannot operate the device.
ALTER TABLE url_triggers ADD COLUMN post_only boolean NOT NULL DEFAULT false;

GRANT SELECT (post_only), UPDATE (post_only) ON url_triggers TO ${app_role};

-- Resolves a live link for a request with the given method and counts the use only when the link may
-- fire on that method: a GET on a POST-only link returns the row (post_only = true) without counting.
CREATE FUNCTION app.resolve_url_trigger_for(p_token_hash bytea, p_via_get boolean)
    RETURNS TABLE (trigger_id uuid, device_id uuid, user_id uuid, tenant_id uuid, property text, value text,
                   post_only boolean)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
BEGIN
    IF p_via_get AND EXISTS (SELECT 1 FROM public.url_triggers t
                              WHERE t.token_hash = p_token_hash AND t.revoked_at IS NULL AND t.post_only) THEN
        RETURN QUERY SELECT NULL::uuid, NULL::uuid, NULL::uuid, NULL::uuid, NULL::text, NULL::text, true;
        RETURN;
    END IF;
    RETURN QUERY
    UPDATE public.url_triggers t
       SET last_used_at = now(), use_count = t.use_count + 1
     WHERE t.token_hash = p_token_hash AND t.revoked_at IS NULL
    RETURNING t.id, t.device_id, t.user_id, t.tenant_id, t.property::text, t.value, t.post_only;
END
$$;
ALTER FUNCTION app.resolve_url_trigger_for(bytea, boolean) OWNER TO ${definer_role};
REVOKE EXECUTE ON FUNCTION app.resolve_url_trigger_for(bytea, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.resolve_url_trigger_for(bytea, boolean) TO ${app_role};
