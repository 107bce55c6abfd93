-- Accounts: close the sign-up email oracle, and let a signed-in user prove their password without
-- changing it (account deletion).

-- Same as V006 except that a taken slug is refused BEFORE the email is looked at. In V006 a known-taken
-- slug answered 409 for a new email but "accepted" for a registered one, which told anybody which
-- emails have an account. A slug is public (it names the tenant); the email is not.
CREATE OR REPLACE FUNCTION app.sign_up(p_tenant_name text, p_slug text, p_email text, p_name text,
                                       p_password_hash text, p_max_devices integer)
    RETURNS TABLE (tenant_id uuid, user_id uuid)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
DECLARE
    v_tenant uuid;
    v_user   uuid;
BEGIN
    IF EXISTS (SELECT 1 FROM public.tenants t WHERE t.slug = p_slug) THEN
        RAISE EXCEPTION 'slug taken' USING ERRCODE = 'VD003';
    END IF;
    IF EXISTS (SELECT 1 FROM public.users u WHERE u.email = lower(p_email)) THEN
        RETURN;
    END IF;
    INSERT INTO public.tenants (name, slug) VALUES (p_tenant_name, p_slug) RETURNING id INTO v_tenant;
    INSERT INTO public.users (tenant_id, email, name, role)
         VALUES (v_tenant, lower(p_email), p_name, 'owner') RETURNING id INTO v_user;
    INSERT INTO public.user_credentials (user_id, tenant_id, password_hash) VALUES (v_user, v_tenant, p_password_hash);
    INSERT INTO public.subscriptions (tenant_id, user_id, tier, status, max_devices)
         VALUES (v_tenant, v_user, 'free', 'active', p_max_devices);
    RETURN QUERY SELECT v_tenant, v_user;
EXCEPTION
    WHEN unique_violation THEN
        -- a concurrent sign-up won the race for the slug or the email
        IF SQLERRM LIKE '%tenants_slug_key%' THEN
            RAISE EXCEPTION 'slug taken' USING ERRCODE = 'VD003';
        END IF;
        RETURN;
END
$$;

-- Does the candidate (derived with own_password_salt()) match the context user's password?
CREATE FUNCTION app.verify_own_password(p_candidate text) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
    AS $$
        SELECT EXISTS (SELECT 1 FROM public.user_credentials c
                        WHERE c.user_id = app.current_user_id() AND c.tenant_id = app.current_tenant_id()
                          AND c.password_hash = p_candidate)
    $$;
ALTER FUNCTION app.verify_own_password(text) OWNER TO ${definer_role};
GRANT EXECUTE ON FUNCTION app.verify_own_password(text) TO ${app_role};
