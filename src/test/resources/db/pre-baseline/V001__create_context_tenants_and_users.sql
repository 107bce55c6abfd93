-- Tenancy model (security review D-01..D-04, D-11, D-12, D-18, D-19).
-- Every tenant table has RLS enabled and FORCEd. Policies read the per-transaction context that the
-- application sets with set_config(..., true) right after BEGIN; with no context they match no row.

ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

CREATE SCHEMA app;
REVOKE ALL ON SCHEMA app FROM PUBLIC;
GRANT USAGE ON SCHEMA app TO ${app_role}, ${definer_role};
GRANT USAGE ON SCHEMA public TO ${app_role}, ${definer_role};
-- the definer role must be able to own the functions it runs (ALTER FUNCTION ... OWNER TO)
GRANT CREATE ON SCHEMA app TO ${definer_role};

-- Context readers: '' (what a setting becomes after a transaction that set it locally) and a missing
-- setting both read as NULL, so policies fail closed without raising (D-03).
CREATE FUNCTION app.current_user_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('app.current_user_id', true), '')::uuid $$;

CREATE FUNCTION app.current_tenant_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid $$;

GRANT EXECUTE ON FUNCTION app.current_user_id(), app.current_tenant_id() TO ${app_role}, ${definer_role};

CREATE FUNCTION app.touch_updated_at() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;

-- ============================================================================
-- tenants
-- ============================================================================
CREATE TABLE tenants (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name       varchar(100) NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    slug       varchar(63)  NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
    settings   jsonb        NOT NULL DEFAULT '{}'
               CHECK (jsonb_typeof(settings) = 'object' AND octet_length(settings::text) <= 16384),
    created_at timestamptz  NOT NULL DEFAULT now(),
    updated_at timestamptz  NOT NULL DEFAULT now()
);
CREATE TRIGGER tenants_touch BEFORE UPDATE ON tenants FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();

-- ============================================================================
-- users: identity and role only. Secrets live in user_credentials / auth_tokens, which the app role
-- cannot read at all (D-04). Email is globally unique, stored lower-case (D-18).
-- ============================================================================
CREATE TYPE user_role AS ENUM ('owner', 'admin', 'member');

CREATE TABLE users (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    email          varchar(254) NOT NULL UNIQUE
                   CHECK (email = lower(email) AND email ~ '^[^@\s]+@[^@\s]+$'),
    name           varchar(100) CHECK (name IS NULL OR length(btrim(name)) BETWEEN 1 AND 100),
    role           user_role    NOT NULL DEFAULT 'member',
    email_verified boolean      NOT NULL DEFAULT false,
    last_login_at  timestamptz,
    settings       jsonb        NOT NULL DEFAULT '{}'
                   CHECK (jsonb_typeof(settings) = 'object' AND octet_length(settings::text) <= 16384),
    created_at     timestamptz  NOT NULL DEFAULT now(),
    updated_at     timestamptz  NOT NULL DEFAULT now(),
    -- target of the composite foreign keys that pin every child row to its user's own tenant (D-07)
    CONSTRAINT users_tenant_id_id_key UNIQUE (tenant_id, id)
);
CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();

CREATE TABLE user_credentials (
    user_id             uuid PRIMARY KEY,
    tenant_id           uuid NOT NULL,
    password_hash       text NOT NULL CHECK (password_hash LIKE '$argon2id$%' AND length(password_hash) <= 512),
    password_changed_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

-- Single-use, expiring tokens we e-mail (verification, password reset), stored only as SHA-256 (D-09).
CREATE TABLE auth_tokens (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id   uuid NOT NULL,
    user_id     uuid NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('email_verification', 'password_reset')),
    token_hash  bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
    expires_at  timestamptz NOT NULL,
    consumed_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX auth_tokens_user_idx ON auth_tokens (user_id, kind);

CREATE TABLE invitations (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    email       varchar(254) NOT NULL CHECK (email = lower(email) AND email ~ '^[^@\s]+@[^@\s]+$'),
    role        user_role NOT NULL CHECK (role <> 'owner'),
    invited_by  uuid,
    token_hash  bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
    expires_at  timestamptz NOT NULL,
    accepted_at timestamptz,
    revoked_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX invitations_tenant_idx ON invitations (tenant_id, created_at DESC);

-- Failed logins and other pre-authentication events have no tenant context (D-13); only definer
-- functions write and read them.
CREATE TABLE security_events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind       text NOT NULL CHECK (kind IN ('login_failed', 'login_throttled', 'login_succeeded')),
    email      varchar(254),
    ip_address inet,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX security_events_email_idx ON security_events (email, created_at DESC);
CREATE INDEX security_events_ip_idx ON security_events (ip_address, created_at DESC);
CREATE INDEX security_events_created_idx ON security_events (created_at);

-- ============================================================================
-- subscriptions (plan limits). The app role may only read its own row (D-05); Stripe status is
-- text mapped in code, so a new Stripe status can never break a write (D-19).
-- ============================================================================
CREATE TYPE subscription_tier AS ENUM ('free', 'pro', 'business');

CREATE TABLE subscriptions (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id              uuid NOT NULL,
    user_id                uuid NOT NULL UNIQUE,
    stripe_customer_id     varchar(255) UNIQUE,
    stripe_subscription_id varchar(255) UNIQUE,
    tier                   subscription_tier NOT NULL DEFAULT 'free',
    status                 varchar(32) NOT NULL DEFAULT 'active',
    -- 300 = Alexa's endpoint limit per customer (D-08)
    max_devices            integer NOT NULL DEFAULT 2 CHECK (max_devices BETWEEN 0 AND 300),
    features               jsonb NOT NULL DEFAULT '{}',
    current_period_start   timestamptz,
    current_period_end     timestamptz,
    cancel_at_period_end   boolean NOT NULL DEFAULT false,
    canceled_at            timestamptz,
    trial_start            timestamptz,
    trial_end              timestamptz,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE TRIGGER subscriptions_touch BEFORE UPDATE ON subscriptions FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();

-- ============================================================================
-- Row-level security
-- ============================================================================
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
ALTER TABLE user_credentials ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_credentials FORCE ROW LEVEL SECURITY;
ALTER TABLE auth_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth_tokens FORCE ROW LEVEL SECURITY;
ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE invitations FORCE ROW LEVEL SECURITY;
ALTER TABLE security_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE security_events FORCE ROW LEVEL SECURITY;
ALTER TABLE subscriptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE subscriptions FORCE ROW LEVEL SECURITY;

-- Is the context user an owner or admin of the context tenant? Reads users as the definer role, so
-- policies that call it do not recurse into the users policy.
CREATE FUNCTION app.current_user_is_admin() RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
    AS $$
        SELECT EXISTS (SELECT 1 FROM public.users u
                        WHERE u.id = app.current_user_id() AND u.tenant_id = app.current_tenant_id()
                          AND u.role IN ('owner', 'admin'))
    $$;

-- tenants: members read their tenant; owners/admins rename it.
GRANT SELECT, UPDATE (name, settings) ON tenants TO ${app_role};
CREATE POLICY tenants_tenant_isolation ON tenants FOR SELECT TO ${app_role}
    USING (id = (SELECT app.current_tenant_id()));
CREATE POLICY tenants_admin_update ON tenants FOR UPDATE TO ${app_role}
    USING (id = (SELECT app.current_tenant_id()) AND (SELECT app.current_user_is_admin()))
    WITH CHECK (id = (SELECT app.current_tenant_id()));

-- users: everybody in the tenant may see the member list (no secrets live here); a user may edit
-- only their own name and settings. Roles, membership and deletion go through definer functions.
GRANT SELECT (id, tenant_id, email, name, role, email_verified, last_login_at, settings, created_at, updated_at)
    ON users TO ${app_role};
GRANT UPDATE (name, settings) ON users TO ${app_role};
CREATE POLICY users_tenant_isolation ON users FOR SELECT TO ${app_role}
    USING (tenant_id = (SELECT app.current_tenant_id()));
CREATE POLICY users_self_update ON users FOR UPDATE TO ${app_role}
    USING (id = (SELECT app.current_user_id()) AND tenant_id = (SELECT app.current_tenant_id()))
    WITH CHECK (id = (SELECT app.current_user_id()) AND tenant_id = (SELECT app.current_tenant_id()));

-- invitations: owners/admins of the tenant see pending invitations (never the token hash).
GRANT SELECT (id, tenant_id, email, role, invited_by, expires_at, accepted_at, revoked_at, created_at)
    ON invitations TO ${app_role};
CREATE POLICY invitations_tenant_isolation ON invitations FOR SELECT TO ${app_role}
    USING (tenant_id = (SELECT app.current_tenant_id()) AND (SELECT app.current_user_is_admin()));

-- subscriptions: read-only for the app (D-05).
GRANT SELECT ON subscriptions TO ${app_role};
CREATE POLICY subscriptions_user_isolation ON subscriptions FOR SELECT TO ${app_role}
    USING (user_id = (SELECT app.current_user_id()) AND tenant_id = (SELECT app.current_tenant_id()));

-- user_credentials, auth_tokens, security_events: no grant to the app role at all.

-- The definer role sees every row of the tables its functions work on; its column and command
-- grants (below and in later migrations) are what limit it.
CREATE POLICY tenants_definer ON tenants TO ${definer_role} USING (true) WITH CHECK (true);
CREATE POLICY users_definer ON users TO ${definer_role} USING (true) WITH CHECK (true);
CREATE POLICY user_credentials_definer ON user_credentials TO ${definer_role} USING (true) WITH CHECK (true);
CREATE POLICY auth_tokens_definer ON auth_tokens TO ${definer_role} USING (true) WITH CHECK (true);
CREATE POLICY invitations_definer ON invitations TO ${definer_role} USING (true) WITH CHECK (true);
CREATE POLICY security_events_definer ON security_events TO ${definer_role} USING (true) WITH CHECK (true);
CREATE POLICY subscriptions_definer ON subscriptions TO ${definer_role} USING (true) WITH CHECK (true);

GRANT SELECT, INSERT, DELETE ON tenants TO ${definer_role};
GRANT SELECT, INSERT, DELETE, UPDATE (role, email_verified, last_login_at) ON users TO ${definer_role};
GRANT SELECT, INSERT, UPDATE ON user_credentials TO ${definer_role};
GRANT SELECT, INSERT, UPDATE ON auth_tokens TO ${definer_role};
GRANT SELECT, INSERT, UPDATE ON invitations TO ${definer_role};
GRANT SELECT, INSERT, DELETE ON security_events TO ${definer_role};
GRANT SELECT, INSERT ON subscriptions TO ${definer_role};

ALTER FUNCTION app.current_user_is_admin() OWNER TO ${definer_role};
GRANT EXECUTE ON FUNCTION app.current_user_is_admin() TO ${app_role};
