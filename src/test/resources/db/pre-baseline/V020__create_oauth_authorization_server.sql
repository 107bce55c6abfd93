-- The OAuth 2.0 authorization server's storage (D-09, D-10, D-12, D-21): the grants the design lacks
-- (authorization codes and their requests, remembered consents) beside the design's oauth_clients and
-- oauth_tokens. Every code, consent-step state, access and refresh token is stored only as SHA-256; the
-- app role can write those hashes but never read them back, and finds a grant by hash only through the
-- definer functions below.
--
-- Clients are NOT written by the app role, not even through a function (D-12): the application registers
-- the clients of its configuration from a Flyway afterMigrate callback, i.e. as the owner role, on the
-- migration connection (io.virtdevice.oauth.OAuthClientRegistration). The app role keeps no grant at all on
-- oauth_clients and reads clients through app.oauth_client()/app.oauth_client_by_id().

ALTER TABLE oauth_clients
    ADD COLUMN require_pkce boolean NOT NULL DEFAULT true,
    ADD COLUMN secret_updated_at timestamptz;

-- One row per authorization grant (SAS's OAuth2Authorization): the authorization request, the consent
-- step, the code, and the family of token pairs it issued (oauth_tokens.family_id = id).
CREATE TABLE oauth_authorizations (
    id                    uuid PRIMARY KEY,
    tenant_id             uuid NOT NULL,
    user_id               uuid NOT NULL,
    client_id             uuid NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    -- copied from the client (immutable), so user-scoped queries need no access to oauth_clients
    client_type           oauth_client_type NOT NULL,
    redirect_uri          text CHECK (redirect_uri IS NULL OR length(redirect_uri) <= 2048),
    requested_scopes      text[] NOT NULL CHECK (cardinality(requested_scopes) <= 16),
    authorized_scopes     text[] CHECK (authorized_scopes IS NULL OR cardinality(authorized_scopes) <= 16),
    -- the client's own state, needed only until the code is issued (then cleared)
    client_state          text CHECK (client_state IS NULL OR length(client_state) <= 2048),
    code_challenge        varchar(128),
    code_challenge_method varchar(8) CHECK (code_challenge_method IS NULL OR code_challenge_method = 'S256'),
    -- SAS's consent-step token: a bearer secret between the authorization request and the consent POST
    consent_state_hash    bytea UNIQUE CHECK (consent_state_hash IS NULL OR octet_length(consent_state_hash) = 32),
    code_hash             bytea UNIQUE CHECK (code_hash IS NULL OR octet_length(code_hash) = 32),
    code_issued_at        timestamptz,
    code_expires_at       timestamptz,
    code_consumed_at      timestamptz,
    revoked_at            timestamptz,
    created_at            timestamptz NOT NULL DEFAULT now(),
    CHECK (code_hash IS NULL OR (code_issued_at IS NOT NULL AND code_expires_at IS NOT NULL
                                 AND code_expires_at <= code_issued_at + interval '5 minutes')),
    CONSTRAINT oauth_authorizations_owner_key UNIQUE (id, tenant_id, user_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX oauth_authorizations_user_client_idx ON oauth_authorizations (user_id, client_id);
CREATE INDEX oauth_authorizations_client_idx ON oauth_authorizations (client_id);
CREATE INDEX oauth_authorizations_created_idx ON oauth_authorizations (created_at) WHERE code_consumed_at IS NULL;

-- A token pair belongs to a grant of the same user (D-06), and goes with it.
ALTER TABLE oauth_tokens
    ADD COLUMN rotated_at timestamptz,
    ADD CONSTRAINT oauth_tokens_family_fkey FOREIGN KEY (family_id, tenant_id, user_id)
        REFERENCES oauth_authorizations (id, tenant_id, user_id) ON DELETE CASCADE;

-- "Remember this decision": the scopes a user approved for a client once and for all.
CREATE TABLE oauth_consents (
    tenant_id  uuid NOT NULL,
    user_id    uuid NOT NULL,
    client_id  uuid NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    scopes     text[] NOT NULL CHECK (cardinality(scopes) BETWEEN 1 AND 16),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, client_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX oauth_consents_client_idx ON oauth_consents (client_id);
CREATE TRIGGER oauth_consents_touch BEFORE UPDATE ON oauth_consents FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();

ALTER TABLE oauth_authorizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE oauth_authorizations FORCE ROW LEVEL SECURITY;
ALTER TABLE oauth_consents ENABLE ROW LEVEL SECURITY;
ALTER TABLE oauth_consents FORCE ROW LEVEL SECURITY;

-- The app role writes grants and tokens of the context user only; it can never read a hash column.
GRANT SELECT (id, tenant_id, user_id, client_id, client_type, redirect_uri, requested_scopes, authorized_scopes,
              client_state, code_challenge, code_challenge_method, code_issued_at, code_expires_at,
              code_consumed_at, revoked_at, created_at),
      INSERT,
      UPDATE (authorized_scopes, client_state, consent_state_hash, code_hash, code_issued_at, code_expires_at,
              code_consumed_at, revoked_at),
      DELETE
    ON oauth_authorizations TO ${app_role};
CREATE POLICY oauth_authorizations_user_isolation ON oauth_authorizations FOR ALL TO ${app_role}
    USING (user_id = (SELECT app.current_user_id()) AND tenant_id = (SELECT app.current_tenant_id()))
    WITH CHECK (user_id = (SELECT app.current_user_id()) AND tenant_id = (SELECT app.current_tenant_id()));

GRANT SELECT (parent_id, rotated_at), INSERT, UPDATE (rotated_at) ON oauth_tokens TO ${app_role};

GRANT SELECT, INSERT, UPDATE (scopes), DELETE ON oauth_consents TO ${app_role};
CREATE POLICY oauth_consents_user_isolation ON oauth_consents FOR ALL TO ${app_role}
    USING (user_id = (SELECT app.current_user_id()) AND tenant_id = (SELECT app.current_tenant_id()))
    WITH CHECK (user_id = (SELECT app.current_user_id()) AND tenant_id = (SELECT app.current_tenant_id()));

CREATE POLICY oauth_authorizations_definer ON oauth_authorizations TO ${definer_role} USING (true) WITH CHECK (true);
GRANT SELECT ON oauth_authorizations TO ${definer_role};

-- ---------------------------------------------------------------------------------------------------
-- Clients, read before any tenant context exists (client authentication, authorization requests).
-- The secret hash is SHA-256 of a >= 256-bit random secret: useless without the secret itself.
-- ---------------------------------------------------------------------------------------------------
CREATE FUNCTION app.oauth_client(p_client_id text)
    RETURNS TABLE (id uuid, client_id text, client_secret_hash bytea, name text, type public.oauth_client_type,
                   redirect_uris text[], allowed_scopes text[], access_token_lifetime integer,
                   refresh_token_lifetime integer, require_pkce boolean)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
    AS $$
        SELECT c.id, c.client_id::text, c.client_secret_hash, c.name::text, c.type, c.redirect_uris,
               c.allowed_scopes, c.access_token_lifetime, c.refresh_token_lifetime, c.require_pkce
          FROM public.oauth_clients c WHERE c.client_id = p_client_id
    $$;

CREATE FUNCTION app.oauth_client_by_id(p_id uuid)
    RETURNS TABLE (id uuid, client_id text, client_secret_hash bytea, name text, type public.oauth_client_type,
                   redirect_uris text[], allowed_scopes text[], access_token_lifetime integer,
                   refresh_token_lifetime integer, require_pkce boolean)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
    AS $$
        SELECT c.id, c.client_id::text, c.client_secret_hash, c.name::text, c.type, c.redirect_uris,
               c.allowed_scopes, c.access_token_lifetime, c.refresh_token_lifetime, c.require_pkce
          FROM public.oauth_clients c WHERE c.id = p_id
    $$;

-- ---------------------------------------------------------------------------------------------------
-- Which grant (and user) a presented secret belongs to, so the caller can bind that user's context and
-- read the grant under row-level security. Kinds: code, state (consent step), access, refresh.
-- ---------------------------------------------------------------------------------------------------
CREATE FUNCTION app.find_oauth_grant(p_kind text, p_hash bytea)
    RETURNS TABLE (authorization_id uuid, tenant_id uuid, user_id uuid, token_id uuid)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
    AS $$
BEGIN
    IF p_kind = 'code' THEN
        RETURN QUERY SELECT a.id, a.tenant_id, a.user_id, NULL::uuid
                       FROM public.oauth_authorizations a WHERE a.code_hash = p_hash;
    ELSIF p_kind = 'state' THEN
        RETURN QUERY SELECT a.id, a.tenant_id, a.user_id, NULL::uuid
                       FROM public.oauth_authorizations a WHERE a.consent_state_hash = p_hash;
    ELSIF p_kind = 'access' THEN
        RETURN QUERY SELECT t.family_id, t.tenant_id, t.user_id, t.id
                       FROM public.oauth_tokens t WHERE t.access_token_hash = p_hash;
    ELSIF p_kind = 'refresh' THEN
        RETURN QUERY SELECT t.family_id, t.tenant_id, t.user_id, t.id
                       FROM public.oauth_tokens t WHERE t.refresh_token_hash = p_hash;
    END IF;
END
$$;

-- The bearer hot path: one call resolves an access token to its user, client and scopes. Revoked tokens
-- return nothing; expired ones are returned (with expires_at) so a caller can tell "expired" from
-- "invalid" (Alexa answers them differently). last_used_at is written at most once a minute per token.
CREATE FUNCTION app.resolve_oauth_access_token(p_hash bytea)
    RETURNS TABLE (token_id uuid, authorization_id uuid, user_id uuid, tenant_id uuid, email text,
                   client_id text, scopes text[], expires_at timestamptz)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
BEGIN
    RETURN QUERY
    WITH touched AS (
        UPDATE public.oauth_tokens k SET last_used_at = now()
         WHERE k.access_token_hash = p_hash AND k.revoked_at IS NULL AND k.access_token_expires_at > now()
           AND (k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute')
        RETURNING k.id)
    SELECT k.id, k.family_id, k.user_id, k.tenant_id, u.email::text, c.client_id::text, k.scope,
           k.access_token_expires_at
      FROM public.oauth_tokens k
      JOIN public.users u ON u.id = k.user_id AND u.tenant_id = k.tenant_id
      JOIN public.oauth_clients c ON c.id = k.client_id
     WHERE k.access_token_hash = p_hash AND k.revoked_at IS NULL;
END
$$;

-- Retention: grants that never produced tokens (abandoned consent pages, codes never redeemed) are
-- useless after their code's short life; delete them after a day. Returns the number deleted.
CREATE FUNCTION app.purge_stale_oauth_authorizations() RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
DECLARE
    n integer;
BEGIN
    DELETE FROM public.oauth_authorizations a
     WHERE a.created_at < now() - interval '1 day'
       AND NOT EXISTS (SELECT 1 FROM public.oauth_tokens t WHERE t.family_id = a.id);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
GRANT DELETE ON oauth_authorizations TO ${definer_role};

DO $$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY[
        'app.oauth_client(text)',
        'app.oauth_client_by_id(uuid)',
        'app.find_oauth_grant(text, bytea)',
        'app.resolve_oauth_access_token(bytea)',
        'app.purge_stale_oauth_authorizations()']
    LOOP
        EXECUTE format('ALTER FUNCTION %s OWNER TO ${definer_role}', f);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO ${app_role}', f);
    END LOOP;
END
$$;
