-- The named SECURITY DEFINER functions for the paths that must work before (or across) a tenant
-- context (D-10, D-11). Each: owned by the definer role (no BYPASSRLS; it sees rows through its own
-- policies and only the columns granted to it), search_path = '', EXECUTE revoked from PUBLIC and
-- granted to the app role only, returning the minimum. Errors use SQLSTATE classes the API maps:
--   VD001 plan limit, VD002 email taken, VD003 slug taken, VD403 not allowed, VD404 not found,
--   VD409 conflict (e.g. the last owner).

-- ---------------------------------------------------------------------------------------------------
-- Sign-up: tenant + owner + credentials + free subscription in one go. Returns no row (and changes
-- nothing) when the email is already registered, so the caller can answer identically either way.
-- ---------------------------------------------------------------------------------------------------
CREATE FUNCTION app.sign_up(p_tenant_name text, p_slug text, p_email text, p_name text,
                            p_password_hash text, p_max_devices integer)
    RETURNS TABLE (tenant_id uuid, user_id uuid)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
DECLARE
    v_tenant uuid;
    v_user   uuid;
BEGIN
    -- The (public) slug is checked before the email, so a 409 never tells a registered email from a new one.
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

-- ---------------------------------------------------------------------------------------------------
-- Login. The password hash never leaves the database: begin_login hands out the Argon2 parameters and
-- salt (the part of the encoded hash before the digest), the application derives the candidate with
-- them, and finish_login compares. Both are throttled per email and per IP from security_events.
-- ---------------------------------------------------------------------------------------------------
CREATE FUNCTION app.login_retry_after(p_email text, p_ip inet) RETURNS integer
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
    AS $$
DECLARE
    window_start timestamptz := now() - interval '15 minutes';
    email_failures integer;
    ip_failures integer;
    oldest timestamptz;
BEGIN
    SELECT count(*), min(created_at) INTO email_failures, oldest FROM (
        SELECT created_at FROM public.security_events
         WHERE email = lower(p_email) AND kind = 'login_failed' AND created_at > window_start
         ORDER BY created_at DESC LIMIT 10) recent;
    IF email_failures >= 10 THEN
        RETURN greatest(1, ceil(extract(epoch FROM (oldest + interval '15 minutes' - now())))::integer);
    END IF;
    IF p_ip IS NOT NULL THEN
        SELECT count(*), min(created_at) INTO ip_failures, oldest FROM (
            SELECT created_at FROM public.security_events
             WHERE ip_address = p_ip AND kind = 'login_failed' AND created_at > window_start
             ORDER BY created_at DESC LIMIT 50) recent;
        IF ip_failures >= 50 THEN
            RETURN greatest(1, ceil(extract(epoch FROM (oldest + interval '15 minutes' - now())))::integer);
        END IF;
    END IF;
    RETURN 0;
END
$$;

CREATE FUNCTION app.begin_login(p_email text, p_ip inet)
    RETURNS TABLE (salt_prefix text, retry_after integer)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
DECLARE
    wait integer := app.login_retry_after(p_email, p_ip);
BEGIN
    IF wait > 0 THEN
        INSERT INTO public.security_events (kind, email, ip_address) VALUES ('login_throttled', lower(p_email), p_ip);
        RETURN QUERY SELECT NULL::text, wait;
        RETURN;
    END IF;
    RETURN QUERY
        SELECT substring(c.password_hash FROM '^(\$argon2id\$[^$]+\$[^$]+\$[^$]+)\$'), 0
          FROM public.users u JOIN public.user_credentials c ON c.user_id = u.id
         WHERE u.email = lower(p_email);
    IF NOT FOUND THEN
        RETURN QUERY SELECT NULL::text, 0;
    END IF;
END
$$;

CREATE FUNCTION app.finish_login(p_email text, p_candidate_hash text, p_ip inet)
    RETURNS TABLE (user_id uuid, tenant_id uuid)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
DECLARE
    v_user uuid;
    v_tenant uuid;
    v_hash text;
BEGIN
    SELECT u.id, u.tenant_id, c.password_hash INTO v_user, v_tenant, v_hash
      FROM public.users u JOIN public.user_credentials c ON c.user_id = u.id
     WHERE u.email = lower(p_email);
    IF v_hash IS NULL OR p_candidate_hash IS NULL OR v_hash <> p_candidate_hash THEN
        INSERT INTO public.security_events (kind, email, ip_address) VALUES ('login_failed', lower(p_email), p_ip);
        RETURN;
    END IF;
    UPDATE public.users SET last_login_at = now() WHERE id = v_user;
    INSERT INTO public.security_events (kind, email, ip_address) VALUES ('login_succeeded', lower(p_email), p_ip);
    RETURN QUERY SELECT v_user, v_tenant;
END
$$;

-- The context user's own salt prefix and password check, for a password change.
CREATE FUNCTION app.own_password_salt() RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
    AS $$
        SELECT substring(c.password_hash FROM '^(\$argon2id\$[^$]+\$[^$]+\$[^$]+)\$')
          FROM public.user_credentials c
         WHERE c.user_id = app.current_user_id() AND c.tenant_id = app.current_tenant_id()
    $$;

-- Does the candidate (derived with own_password_salt()) match the context user's password?
CREATE FUNCTION app.verify_own_password(p_candidate text) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
    AS $$
        SELECT EXISTS (SELECT 1 FROM public.user_credentials c
                        WHERE c.user_id = app.current_user_id() AND c.tenant_id = app.current_tenant_id()
                          AND c.password_hash = p_candidate)
    $$;

CREATE FUNCTION app.change_own_password(p_current_candidate text, p_new_hash text) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
BEGIN
    UPDATE public.user_credentials c
       SET password_hash = p_new_hash, password_changed_at = now()
     WHERE c.user_id = app.current_user_id() AND c.tenant_id = app.current_tenant_id()
       AND c.password_hash = p_current_candidate;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    UPDATE public.auth_tokens SET consumed_at = now()
     WHERE user_id = app.current_user_id() AND kind = 'password_reset' AND consumed_at IS NULL;
    RETURN true;
END
$$;

-- ---------------------------------------------------------------------------------------------------
-- E-mailed tokens (SHA-256 only).
-- ---------------------------------------------------------------------------------------------------
CREATE FUNCTION app.issue_email_verification(p_token_hash bytea, p_ttl_seconds integer) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
BEGIN
    IF app.current_user_id() IS NULL THEN
        RETURN false;
    END IF;
    UPDATE public.auth_tokens SET consumed_at = now()
     WHERE user_id = app.current_user_id() AND kind = 'email_verification' AND consumed_at IS NULL;
    INSERT INTO public.auth_tokens (tenant_id, user_id, kind, token_hash, expires_at)
    SELECT u.tenant_id, u.id, 'email_verification', p_token_hash, now() + make_interval(secs => p_ttl_seconds)
      FROM public.users u
     WHERE u.id = app.current_user_id() AND u.tenant_id = app.current_tenant_id() AND NOT u.email_verified;
    RETURN FOUND;
END
$$;

CREATE FUNCTION app.verify_email(p_token_hash bytea) RETURNS TABLE (user_id uuid, tenant_id uuid)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
DECLARE
    v_user uuid;
    v_tenant uuid;
BEGIN
    UPDATE public.auth_tokens t SET consumed_at = now()
     WHERE t.token_hash = p_token_hash AND t.kind = 'email_verification'
       AND t.consumed_at IS NULL AND t.expires_at > now()
    RETURNING t.user_id, t.tenant_id INTO v_user, v_tenant;
    IF v_user IS NULL THEN
        RETURN;
    END IF;
    UPDATE public.users SET email_verified = true WHERE id = v_user;
    RETURN QUERY SELECT v_user, v_tenant;
END
$$;

-- Returns the account to mail, or no row for an unknown email (the caller answers identically).
CREATE FUNCTION app.request_password_reset(p_email text, p_token_hash bytea, p_ttl_seconds integer)
    RETURNS TABLE (user_id uuid, email text, name text)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
BEGIN
    RETURN QUERY
    INSERT INTO public.auth_tokens (tenant_id, user_id, kind, token_hash, expires_at)
    SELECT u.tenant_id, u.id, 'password_reset', p_token_hash, now() + make_interval(secs => p_ttl_seconds)
      FROM public.users u WHERE u.email = lower(p_email)
    RETURNING auth_tokens.user_id,
              (SELECT u2.email::text FROM public.users u2 WHERE u2.id = auth_tokens.user_id),
              (SELECT u2.name::text FROM public.users u2 WHERE u2.id = auth_tokens.user_id);
END
$$;

-- Consumes the token, sets the password, and voids every other outstanding reset token of the user.
CREATE FUNCTION app.reset_password(p_token_hash bytea, p_new_hash text) RETURNS TABLE (user_id uuid, tenant_id uuid)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
DECLARE
    v_user uuid;
    v_tenant uuid;
BEGIN
    UPDATE public.auth_tokens t SET consumed_at = now()
     WHERE t.token_hash = p_token_hash AND t.kind = 'password_reset'
       AND t.consumed_at IS NULL AND t.expires_at > now()
    RETURNING t.user_id, t.tenant_id INTO v_user, v_tenant;
    IF v_user IS NULL THEN
        RETURN;
    END IF;
    UPDATE public.user_credentials SET password_hash = p_new_hash, password_changed_at = now() WHERE user_credentials.user_id = v_user;
    UPDATE public.auth_tokens SET consumed_at = now()
     WHERE auth_tokens.user_id = v_user AND kind = 'password_reset' AND consumed_at IS NULL;
    -- a reset proves control of the mailbox
    UPDATE public.users SET email_verified = true WHERE id = v_user;
    RETURN QUERY SELECT v_user, v_tenant;
END
$$;

-- ---------------------------------------------------------------------------------------------------
-- Team management. Rank: owner 3 > admin 2 > member 1. The caller (context user) must be an owner or
-- admin, may never grant or touch a rank above their own, never changes their own role here, and the
-- tenant always keeps an owner.
-- ---------------------------------------------------------------------------------------------------
CREATE FUNCTION app.role_rank(r public.user_role) RETURNS integer
    LANGUAGE sql IMMUTABLE SET search_path = ''
    AS $$ SELECT CASE r WHEN 'owner' THEN 3 WHEN 'admin' THEN 2 ELSE 1 END $$;

CREATE FUNCTION app.caller_role() RETURNS public.user_role
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
    AS $$
        SELECT u.role FROM public.users u
         WHERE u.id = app.current_user_id() AND u.tenant_id = app.current_tenant_id()
    $$;

CREATE FUNCTION app.create_invitation(p_email text, p_role public.user_role, p_token_hash bytea, p_ttl_seconds integer)
    RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
DECLARE
    me public.user_role := app.caller_role();
    v_id uuid;
BEGIN
    IF me IS NULL OR me = 'member' OR p_role = 'owner' OR app.role_rank(p_role) > app.role_rank(me) THEN
        RAISE EXCEPTION 'not allowed' USING ERRCODE = 'VD403';
    END IF;
    -- a newer invitation replaces an open one for the same address
    UPDATE public.invitations SET revoked_at = now()
     WHERE tenant_id = app.current_tenant_id() AND email = lower(p_email)
       AND accepted_at IS NULL AND revoked_at IS NULL;
    INSERT INTO public.invitations (tenant_id, email, role, invited_by, token_hash, expires_at)
         VALUES (app.current_tenant_id(), lower(p_email), p_role, app.current_user_id(), p_token_hash,
                 now() + make_interval(secs => p_ttl_seconds))
      RETURNING id INTO v_id;
    RETURN v_id;
END
$$;

CREATE FUNCTION app.revoke_invitation(p_id uuid) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
BEGIN
    IF coalesce(app.caller_role()::text, 'member') = 'member' THEN
        RAISE EXCEPTION 'not allowed' USING ERRCODE = 'VD403';
    END IF;
    UPDATE public.invitations SET revoked_at = now()
     WHERE id = p_id AND tenant_id = app.current_tenant_id() AND accepted_at IS NULL AND revoked_at IS NULL;
    RETURN FOUND;
END
$$;

-- The invitation names the tenant and role; the new member gets credentials and a free subscription.
CREATE FUNCTION app.accept_invitation(p_token_hash bytea, p_name text, p_password_hash text, p_max_devices integer)
    RETURNS TABLE (user_id uuid, tenant_id uuid, role public.user_role)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
DECLARE
    inv record;
    v_user uuid;
BEGIN
    UPDATE public.invitations i SET accepted_at = now()
     WHERE i.token_hash = p_token_hash AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now()
    RETURNING i.tenant_id, i.email, i.role INTO inv;
    IF inv IS NULL THEN
        RETURN;
    END IF;
    IF EXISTS (SELECT 1 FROM public.users u WHERE u.email = inv.email) THEN
        RAISE EXCEPTION 'email taken' USING ERRCODE = 'VD002';
    END IF;
    INSERT INTO public.users (tenant_id, email, name, role, email_verified)
         VALUES (inv.tenant_id, inv.email, p_name, inv.role, true) RETURNING id INTO v_user;
    INSERT INTO public.user_credentials (user_id, tenant_id, password_hash) VALUES (v_user, inv.tenant_id, p_password_hash);
    INSERT INTO public.subscriptions (tenant_id, user_id, tier, status, max_devices)
         VALUES (inv.tenant_id, v_user, 'free', 'active', p_max_devices);
    RETURN QUERY SELECT v_user, inv.tenant_id, inv.role;
END
$$;

CREATE FUNCTION app.change_member_role(p_user_id uuid, p_role public.user_role) RETURNS public.user_role
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
DECLARE
    me public.user_role := app.caller_role();
    target public.user_role;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('tenant_members:' || app.current_tenant_id()::text, 0));
    SELECT u.role INTO target FROM public.users u
     WHERE u.id = p_user_id AND u.tenant_id = app.current_tenant_id();
    IF target IS NULL THEN
        RAISE EXCEPTION 'no such member' USING ERRCODE = 'VD404';
    END IF;
    IF me IS NULL OR me = 'member' OR p_user_id = app.current_user_id()
       OR app.role_rank(p_role) > app.role_rank(me) OR app.role_rank(target) > app.role_rank(me) THEN
        RAISE EXCEPTION 'not allowed' USING ERRCODE = 'VD403';
    END IF;
    UPDATE public.users SET role = p_role WHERE id = p_user_id;
    RETURN target;
END
$$;

-- Removes a member and everything they own (devices, keys, tokens cascade). Returns the removed email.
CREATE FUNCTION app.remove_member(p_user_id uuid) RETURNS text
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
    DELETE FROM public.users WHERE id = p_user_id;
    DELETE FROM public.device_events WHERE user_id = p_user_id;
    DELETE FROM public.security_events WHERE email = v_email;
    RETURN v_email;
END
$$;

-- Deletes the context user's account. The last owner of a tenant with other members must hand over
-- ownership first; a user alone in their tenant takes the tenant (and its audit log) with them.
CREATE FUNCTION app.delete_own_account() RETURNS text
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
    IF others = 0 THEN
        DELETE FROM public.tenants WHERE id = app.current_tenant_id();
        DELETE FROM public.device_events WHERE tenant_id = app.current_tenant_id();
        DELETE FROM public.activity_logs WHERE tenant_id = app.current_tenant_id();
    ELSIF me = 'owner' AND other_owners = 0 THEN
        RAISE EXCEPTION 'the last owner must transfer ownership first' USING ERRCODE = 'VD409';
    ELSE
        DELETE FROM public.users WHERE id = app.current_user_id();
        DELETE FROM public.device_events WHERE user_id = app.current_user_id();
    END IF;
    DELETE FROM public.security_events WHERE email = v_email;
    RETURN v_email;
END
$$;

-- ---------------------------------------------------------------------------------------------------
-- Bearer secrets -> principal. last_used_at is written at most once a minute per key.
-- ---------------------------------------------------------------------------------------------------
CREATE FUNCTION app.resolve_api_key(p_token_hash bytea)
    RETURNS TABLE (key_id uuid, user_id uuid, tenant_id uuid, scopes text[])
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
BEGIN
    RETURN QUERY
    UPDATE public.api_keys k
       SET last_used_at = CASE WHEN k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute'
                               THEN now() ELSE k.last_used_at END
     WHERE k.token_hash = p_token_hash AND k.revoked_at IS NULL
       AND (k.expires_at IS NULL OR k.expires_at > now())
    RETURNING k.id, k.user_id, k.tenant_id, k.scopes;
END
$$;

CREATE FUNCTION app.resolve_url_trigger(p_token_hash bytea)
    RETURNS TABLE (trigger_id uuid, device_id uuid, user_id uuid, tenant_id uuid, property text, value text)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
BEGIN
    RETURN QUERY
    UPDATE public.url_triggers t
       SET last_used_at = now(), use_count = t.use_count + 1
     WHERE t.token_hash = p_token_hash AND t.revoked_at IS NULL
    RETURNING t.id, t.device_id, t.user_id, t.tenant_id, t.property::text, t.value;
END
$$;

-- Retention for pre-authentication events (run by a scheduled job).
CREATE FUNCTION app.purge_security_events(p_older_than_days integer) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
DECLARE
    n integer;
BEGIN
    DELETE FROM public.security_events WHERE created_at < now() - make_interval(days => p_older_than_days);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

DO $$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY[
        'app.sign_up(text, text, text, text, text, integer)',
        'app.login_retry_after(text, inet)',
        'app.begin_login(text, inet)',
        'app.finish_login(text, text, inet)',
        'app.own_password_salt()',
        'app.verify_own_password(text)',
        'app.change_own_password(text, text)',
        'app.issue_email_verification(bytea, integer)',
        'app.verify_email(bytea)',
        'app.request_password_reset(text, bytea, integer)',
        'app.reset_password(bytea, text)',
        'app.caller_role()',
        'app.create_invitation(text, public.user_role, bytea, integer)',
        'app.revoke_invitation(uuid)',
        'app.accept_invitation(bytea, text, text, integer)',
        'app.change_member_role(uuid, public.user_role)',
        'app.remove_member(uuid)',
        'app.delete_own_account()',
        'app.resolve_api_key(bytea)',
        'app.resolve_url_trigger(bytea)',
        'app.purge_security_events(integer)']
    LOOP
        EXECUTE format('ALTER FUNCTION %s OWNER TO ${definer_role}', f);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO ${app_role}', f);
    END LOOP;
END
$$;
GRANT EXECUTE ON FUNCTION app.role_rank(public.user_role) TO ${app_role}, ${definer_role};
GRANT EXECUTE ON FUNCTION app.login_retry_after(text, inet), app.caller_role() TO ${definer_role};
