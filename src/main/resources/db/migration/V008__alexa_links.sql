-- Alexa links (issue 10 part 4, docs/alexa.md "AcceptGrant and Login with Amazon"): one link per user; why and
-- when its status changed, its last refresh and when it was linked (the diagnostics); the tokens may be gone
-- (a revoked link keeps its row, without tokens, so the diagnostics can say why); and the links of deleted
-- users kept for a while, so that the DeleteReports of their devices (sent after the deletion committed)
-- still find a token.

-- One link per user: a new AcceptGrant replaces the old one, whatever its region. Of several rows a user
-- may have had (one per region until now) the newest stays. (RLS is lifted for the migration's own rewrites.)
ALTER TABLE alexa_lwa_tokens NO FORCE ROW LEVEL SECURITY;
DELETE FROM alexa_lwa_tokens t
 WHERE EXISTS (SELECT 1 FROM alexa_lwa_tokens n
                WHERE n.user_id = t.user_id AND (n.updated_at, n.id) > (t.updated_at, t.id));
ALTER TABLE alexa_lwa_tokens DROP CONSTRAINT alexa_lwa_tokens_user_region_key;
ALTER TABLE alexa_lwa_tokens ADD CONSTRAINT alexa_lwa_tokens_user_key UNIQUE (user_id);

ALTER TABLE alexa_lwa_tokens
    ALTER COLUMN access_token_enc DROP NOT NULL,
    ALTER COLUMN refresh_token_enc DROP NOT NULL,
    ALTER COLUMN access_token_expires_at DROP NOT NULL,
    ADD COLUMN status_reason     varchar(500),
    ADD COLUMN status_changed_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN last_refresh_at   timestamptz,
    -- no LWA refresh before this (a transient LWA failure: the next send tries again after it)
    ADD COLUMN refresh_retry_at  timestamptz,
    ADD COLUMN linked_at         timestamptz NOT NULL DEFAULT now();
-- the backfill is no change of the links themselves: updated_at stays
ALTER TABLE alexa_lwa_tokens DISABLE TRIGGER alexa_lwa_tokens_touch;
UPDATE alexa_lwa_tokens SET linked_at = created_at, status_changed_at = updated_at;
UPDATE alexa_lwa_tokens SET access_token_enc = NULL, refresh_token_enc = NULL, access_token_expires_at = NULL
 WHERE status = 'revoked';
ALTER TABLE alexa_lwa_tokens ENABLE TRIGGER alexa_lwa_tokens_touch;
ALTER TABLE alexa_lwa_tokens FORCE ROW LEVEL SECURITY;
ALTER TABLE alexa_lwa_tokens
    -- an active link always has its tokens; a revoked one never
    ADD CONSTRAINT alexa_lwa_tokens_tokens_check CHECK (
        (status = 'revoked') = (access_token_enc IS NULL)
        AND (access_token_enc IS NULL) = (refresh_token_enc IS NULL)
        AND (access_token_enc IS NULL) = (access_token_expires_at IS NULL));

-- ---------------------------------------------------------------------------------------------------------
-- Links of deleted users: when a user row goes (account deletion, member removal), its link is cascaded
-- away in the same transaction; this trigger keeps an active one here, with no foreign key to users or
-- tenants, for the window the application reads it in (virtdevice.alexa.retired-link-window, 1 h), after
-- which app.purge_retired_alexa_links() deletes it. The tokens stay sealed as they were (their associated
-- data names the user, not the row).
CREATE TABLE alexa_lwa_retired_links (
    user_id                 uuid PRIMARY KEY,
    tenant_id               uuid NOT NULL,
    access_token_enc        bytea NOT NULL,
    refresh_token_enc       bytea NOT NULL,
    access_token_expires_at timestamptz NOT NULL,
    region                  varchar(2) NOT NULL CHECK (region IN ('NA', 'EU', 'FE')),
    last_refresh_at         timestamptz,
    refresh_retry_at        timestamptz,
    retired_at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alexa_lwa_retired_links_retired_idx ON alexa_lwa_retired_links (retired_at);
ALTER TABLE alexa_lwa_retired_links ENABLE ROW LEVEL SECURITY;
ALTER TABLE alexa_lwa_retired_links FORCE ROW LEVEL SECURITY;
-- The app reads and refreshes the retired link of the context user (the sender acts for the deleted owner).
GRANT SELECT, UPDATE (access_token_enc, refresh_token_enc, access_token_expires_at, last_refresh_at, refresh_retry_at),
      DELETE ON alexa_lwa_retired_links TO ${app_role};
CREATE POLICY alexa_lwa_retired_links_user_isolation ON alexa_lwa_retired_links FOR ALL TO ${app_role}
    USING (user_id = (SELECT app.current_user_id()) AND tenant_id = (SELECT app.current_tenant_id()))
    WITH CHECK (user_id = (SELECT app.current_user_id()) AND tenant_id = (SELECT app.current_tenant_id()));
CREATE POLICY alexa_lwa_retired_links_definer ON alexa_lwa_retired_links TO ${definer_role}
    USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON alexa_lwa_retired_links TO ${definer_role};

CREATE FUNCTION app.retire_alexa_link() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
BEGIN
    IF OLD.status = 'active' AND OLD.access_token_enc IS NOT NULL THEN
        INSERT INTO public.alexa_lwa_retired_links (user_id, tenant_id, access_token_enc, refresh_token_enc,
                                                    access_token_expires_at, region, last_refresh_at)
        VALUES (OLD.user_id, OLD.tenant_id, OLD.access_token_enc, OLD.refresh_token_enc,
                OLD.access_token_expires_at, OLD.region, OLD.last_refresh_at)
        ON CONFLICT (user_id) DO UPDATE
           SET tenant_id = EXCLUDED.tenant_id, access_token_enc = EXCLUDED.access_token_enc,
               refresh_token_enc = EXCLUDED.refresh_token_enc,
               access_token_expires_at = EXCLUDED.access_token_expires_at, region = EXCLUDED.region,
               last_refresh_at = EXCLUDED.last_refresh_at, refresh_retry_at = NULL, retired_at = now();
    END IF;
    RETURN OLD;
END
$$;
ALTER FUNCTION app.retire_alexa_link() OWNER TO ${definer_role};
REVOKE EXECUTE ON FUNCTION app.retire_alexa_link() FROM PUBLIC;
CREATE TRIGGER alexa_lwa_tokens_retire AFTER DELETE ON alexa_lwa_tokens
    FOR EACH ROW EXECUTE FUNCTION app.retire_alexa_link();

-- The purge task's cross-tenant delete (alexa.purge-retired-links).
CREATE FUNCTION app.purge_retired_alexa_links(p_window_seconds integer) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
DECLARE
    n integer;
BEGIN
    DELETE FROM public.alexa_lwa_retired_links r
     WHERE r.retired_at < now() - make_interval(secs => greatest(p_window_seconds, 0));
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
ALTER FUNCTION app.purge_retired_alexa_links(integer) OWNER TO ${definer_role};
REVOKE EXECUTE ON FUNCTION app.purge_retired_alexa_links(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.purge_retired_alexa_links(integer) TO ${app_role};
