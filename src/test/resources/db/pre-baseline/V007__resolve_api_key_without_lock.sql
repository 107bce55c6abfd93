-- app.resolve_api_key wrote the key's row on every call (a CASE kept the old last_used_at), so concurrent
-- resolutions of one key queued on its row lock and each waited for the previous commit's WAL flush
-- (measured: 69 ms per call with 16 concurrent requests). Now the row is written only when last_used_at
-- is more than a minute old, and read without a lock otherwise.
CREATE OR REPLACE FUNCTION app.resolve_api_key(p_token_hash bytea)
    RETURNS TABLE (key_id uuid, user_id uuid, tenant_id uuid, scopes text[])
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
BEGIN
    UPDATE public.api_keys k
       SET last_used_at = now()
     WHERE k.token_hash = p_token_hash AND k.revoked_at IS NULL
       AND (k.expires_at IS NULL OR k.expires_at > now())
       AND (k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute');
    RETURN QUERY
    SELECT k.id, k.user_id, k.tenant_id, k.scopes
      FROM public.api_keys k
     WHERE k.token_hash = p_token_hash AND k.revoked_at IS NULL
       AND (k.expires_at IS NULL OR k.expires_at > now());
END
$$;
