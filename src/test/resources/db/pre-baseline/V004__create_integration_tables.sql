-- The design document's OAuth, Alexa, IFTTT and webhook tables, corrected (D-06, D-09, D-10, D-12,
-- D-17, D-19, D-21, D-22). The modules that use them (OAuth server, Alexa, IFTTT, webhooks) extend them
-- in their own migrations; no client row or secret is seeded here (D-21): clients are registered from
-- configuration at start-up.

CREATE TYPE oauth_client_type AS ENUM ('web', 'alexa', 'ifttt', 'mobile');

-- No grant to the app role and no tenant data (D-12): only the authorization server's definer functions
-- read it. Secrets are SHA-256 of >= 256-bit random values, compared in constant time (D-09).
CREATE TABLE oauth_clients (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    client_id              varchar(100) NOT NULL UNIQUE,
    client_secret_hash     bytea CHECK (client_secret_hash IS NULL OR octet_length(client_secret_hash) = 32),
    name                   varchar(255) NOT NULL,
    type                   oauth_client_type NOT NULL,
    redirect_uris          text[] NOT NULL,
    allowed_scopes         text[] NOT NULL DEFAULT ARRAY['read', 'write'],
    access_token_lifetime  integer NOT NULL DEFAULT 3600 CHECK (access_token_lifetime BETWEEN 360 AND 86400),
    refresh_token_lifetime integer NOT NULL DEFAULT 0 CHECK (refresh_token_lifetime >= 0), -- 0 = non-expiring
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER oauth_clients_touch BEFORE UPDATE ON oauth_clients FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();

-- Tokens stored only as SHA-256; family/parent for rotation with reuse detection (D-10).
CREATE TABLE oauth_tokens (
    id                       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id                uuid NOT NULL,
    user_id                  uuid NOT NULL,
    client_id                uuid NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    family_id                uuid NOT NULL,
    parent_id                uuid,
    access_token_hash        bytea NOT NULL UNIQUE CHECK (octet_length(access_token_hash) = 32),
    access_token_expires_at  timestamptz NOT NULL,
    refresh_token_hash       bytea UNIQUE CHECK (refresh_token_hash IS NULL OR octet_length(refresh_token_hash) = 32),
    refresh_token_expires_at timestamptz,
    scope                    text[] NOT NULL DEFAULT '{}',
    revoked_at               timestamptz,
    last_used_at             timestamptz,
    created_at               timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX oauth_tokens_user_idx ON oauth_tokens (user_id, client_id);
CREATE INDEX oauth_tokens_client_idx ON oauth_tokens (client_id);
CREATE INDEX oauth_tokens_family_idx ON oauth_tokens (family_id);

-- Amazon's tokens we must replay: AES-256-GCM ciphertext (key from configuration), never plaintext (D-09).
CREATE TABLE alexa_lwa_tokens (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id               uuid NOT NULL,
    user_id                 uuid NOT NULL,
    access_token_enc        bytea NOT NULL,
    refresh_token_enc       bytea NOT NULL,
    access_token_expires_at timestamptz NOT NULL,
    token_type              varchar(50) NOT NULL DEFAULT 'Bearer',
    scope                   text,
    region                  varchar(2) NOT NULL DEFAULT 'NA' CHECK (region IN ('NA', 'EU', 'FE')),
    status                  varchar(16) NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked', 'unauthorized')),
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT alexa_lwa_tokens_user_region_key UNIQUE (user_id, region),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE TRIGGER alexa_lwa_tokens_touch BEFORE UPDATE ON alexa_lwa_tokens FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();

-- trigger_identity is unique per user, not globally (D-19): replaying another user's identity must not
-- collide across tenants.
CREATE TABLE ifttt_trigger_subscriptions (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id        uuid NOT NULL,
    user_id          uuid NOT NULL,
    trigger_type     varchar(100) NOT NULL,
    trigger_fields   jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(trigger_fields) = 'object'
                     AND octet_length(trigger_fields::text) <= 4096),
    trigger_identity varchar(255) NOT NULL,
    ifttt_source     jsonb,
    enabled          boolean NOT NULL DEFAULT true,
    last_polled_at   timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ifttt_trigger_subscriptions_identity_key UNIQUE (user_id, trigger_identity),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX ifttt_trigger_subscriptions_type_idx ON ifttt_trigger_subscriptions (user_id, trigger_type);
CREATE TRIGGER ifttt_trigger_subscriptions_touch BEFORE UPDATE ON ifttt_trigger_subscriptions
    FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();

-- Webhooks: a device, if named, must be the same user's (composite FK, D-06); custom header names are
-- allow-listed and bounded (D-22); the signing secret is stored encrypted (D-09).
CREATE TABLE webhooks (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id         uuid NOT NULL,
    user_id           uuid NOT NULL,
    device_id         uuid,
    url               varchar(2048) NOT NULL CHECK (url ~ '^https?://'),
    events            text[] NOT NULL CHECK (cardinality(events) BETWEEN 1 AND 16),
    secret_enc        bytea NOT NULL,
    headers           jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(headers) = 'object'
                      AND octet_length(headers::text) <= 4096),
    enabled           boolean NOT NULL DEFAULT true,
    last_triggered_at timestamptz,
    last_status_code  integer,
    failure_count     integer NOT NULL DEFAULT 0,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id, device_id) REFERENCES devices (tenant_id, user_id, id) ON DELETE CASCADE
);
CREATE INDEX webhooks_user_enabled_idx ON webhooks (user_id) WHERE enabled;
CREATE INDEX webhooks_device_idx ON webhooks (device_id) WHERE device_id IS NOT NULL;
CREATE TRIGGER webhooks_touch BEFORE UPDATE ON webhooks FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();

ALTER TABLE oauth_clients ENABLE ROW LEVEL SECURITY;
ALTER TABLE oauth_clients FORCE ROW LEVEL SECURITY;
ALTER TABLE oauth_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE oauth_tokens FORCE ROW LEVEL SECURITY;
ALTER TABLE alexa_lwa_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE alexa_lwa_tokens FORCE ROW LEVEL SECURITY;
ALTER TABLE ifttt_trigger_subscriptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE ifttt_trigger_subscriptions FORCE ROW LEVEL SECURITY;
ALTER TABLE webhooks ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhooks FORCE ROW LEVEL SECURITY;

GRANT SELECT (id, tenant_id, user_id, client_id, family_id, access_token_expires_at, refresh_token_expires_at,
              scope, revoked_at, last_used_at, created_at),
      UPDATE (revoked_at) ON oauth_tokens TO ${app_role};
CREATE POLICY oauth_tokens_user_isolation ON oauth_tokens FOR ALL TO ${app_role}
    USING (user_id = (SELECT app.current_user_id()) AND tenant_id = (SELECT app.current_tenant_id()))
    WITH CHECK (user_id = (SELECT app.current_user_id()) AND tenant_id = (SELECT app.current_tenant_id()));

GRANT SELECT, INSERT, UPDATE, DELETE ON alexa_lwa_tokens TO ${app_role};
CREATE POLICY alexa_lwa_tokens_user_isolation ON alexa_lwa_tokens FOR ALL TO ${app_role}
    USING (user_id = (SELECT app.current_user_id()) AND tenant_id = (SELECT app.current_tenant_id()))
    WITH CHECK (user_id = (SELECT app.current_user_id()) AND tenant_id = (SELECT app.current_tenant_id()));

GRANT SELECT, INSERT, UPDATE, DELETE ON ifttt_trigger_subscriptions TO ${app_role};
CREATE POLICY ifttt_trigger_subscriptions_user_isolation ON ifttt_trigger_subscriptions FOR ALL TO ${app_role}
    USING (user_id = (SELECT app.current_user_id()) AND tenant_id = (SELECT app.current_tenant_id()))
    WITH CHECK (user_id = (SELECT app.current_user_id()) AND tenant_id = (SELECT app.current_tenant_id()));

GRANT SELECT, INSERT, DELETE,
      UPDATE (url, events, secret_enc, headers, enabled, last_triggered_at, last_status_code, failure_count)
    ON webhooks TO ${app_role};
CREATE POLICY webhooks_user_isolation ON webhooks FOR ALL TO ${app_role}
    USING (user_id = (SELECT app.current_user_id()) AND tenant_id = (SELECT app.current_tenant_id()))
    WITH CHECK (user_id = (SELECT app.current_user_id()) AND tenant_id = (SELECT app.current_tenant_id()));

CREATE POLICY oauth_clients_definer ON oauth_clients TO ${definer_role} USING (true) WITH CHECK (true);
CREATE POLICY oauth_tokens_definer ON oauth_tokens TO ${definer_role} USING (true) WITH CHECK (true);
GRANT SELECT ON oauth_clients TO ${definer_role};
GRANT SELECT, UPDATE (revoked_at, last_used_at) ON oauth_tokens TO ${definer_role};
