-- Password-reset requests made a new token and sent a mail every time, so anyone could flood a user's
-- inbox by submitting their address. Now at most 3 reset links per account are issued in 15 minutes;
-- further requests answer exactly like the others (202, nothing revealed) but issue and send nothing.
CREATE OR REPLACE FUNCTION app.request_password_reset(p_email text, p_token_hash bytea, p_ttl_seconds integer)
    RETURNS TABLE (user_id uuid, email text, name text)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
BEGIN
    RETURN QUERY
    INSERT INTO public.auth_tokens (tenant_id, user_id, kind, token_hash, expires_at)
    SELECT u.tenant_id, u.id, 'password_reset', p_token_hash, now() + make_interval(secs => p_ttl_seconds)
      FROM public.users u
     WHERE u.email = lower(p_email)
       AND (SELECT count(*) FROM public.auth_tokens t
             WHERE t.user_id = u.id AND t.kind = 'password_reset'
               AND t.created_at > now() - interval '15 minutes') < 3
    RETURNING auth_tokens.user_id,
              (SELECT u2.email::text FROM public.users u2 WHERE u2.id = auth_tokens.user_id),
              (SELECT u2.name::text FROM public.users u2 WHERE u2.id = auth_tokens.user_id);
END
$$;
