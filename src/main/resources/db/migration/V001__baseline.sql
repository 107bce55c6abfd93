-- VirtDevice schema baseline: the squash of the development migrations V001-V020 (git 55f70ad), with
-- every object in its final form. Released migrations are never edited: a change is a new migration
-- (docs/development.md); src/main/resources/db/released-migrations.txt holds their checksums.
--
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

-- ============================================================================================
-- Devices, typed properties and the change-event record (D-06, D-07, D-08, D-15, D-16, D-17, D-19).
-- ============================================================================================

CREATE TABLE devices (
    id                       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id                uuid NOT NULL,
    user_id                  uuid NOT NULL,
    name                     varchar(100) NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    friendly_name            varchar(128) NOT NULL CHECK (length(btrim(friendly_name)) BETWEEN 1 AND 128),
    -- text + CHECK instead of an enum: new device types must not need an enum migration (D-19)
    device_type              varchar(32) NOT NULL CHECK (device_type IN
                             ('switch', 'dimmer', 'contact_sensor', 'motion_sensor', 'temperature_sensor', 'doorbell')),
    description              varchar(128),
    manufacturer             varchar(100) NOT NULL DEFAULT 'VirtDevice',
    model                    varchar(100),
    -- Random, not derived from id (D-19).
    alexa_endpoint_id        varchar(256) NOT NULL UNIQUE
                             DEFAULT 'vd_' || replace(gen_random_uuid()::text, '-', '')
                             -- the charset Alexa allows; varchar(256) bounds the length (PostgreSQL's regex
                             -- repetition counts stop at 255, so {1,256} cannot be used here)
                             CONSTRAINT devices_alexa_endpoint_id_charset CHECK (alexa_endpoint_id ~ '^[a-zA-Z0-9_\-=#;:?@&]+$'),
    alexa_display_categories text[] NOT NULL DEFAULT '{}' CHECK (cardinality(alexa_display_categories) <= 10),
    alexa_capabilities       jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(alexa_capabilities) = 'array'
                             AND octet_length(alexa_capabilities::text) <= 65536),
    ifttt_device_id          varchar(64) NOT NULL UNIQUE DEFAULT 'vd_' || replace(gen_random_uuid()::text, '-', ''),
    is_online                boolean NOT NULL DEFAULT true,
    last_state_change        timestamptz,
    metadata                 jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'
                             AND octet_length(metadata::text) <= 8192),
    -- bumped on every change; ETag and event ordering
    version                  bigint NOT NULL DEFAULT 1,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    -- composite targets so no child row can point at another user's or tenant's device (D-06)
    CONSTRAINT devices_tenant_user_id_key UNIQUE (tenant_id, user_id, id)
);
CREATE UNIQUE INDEX devices_user_name_key ON devices (user_id, lower(name));
CREATE INDEX devices_user_list_idx ON devices (user_id, created_at, id);
CREATE TRIGGER devices_touch BEFORE UPDATE ON devices FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();

-- Plan limit, race-free (D-08): an advisory lock per user serialises concurrent inserts, so the count
-- after the lock sees every committed device. 'active' and 'trialing' plans count; anything else falls
-- back to the free limit. SQLSTATE VD001 carries the limit in DETAIL for the API's problem response.
CREATE FUNCTION app.check_device_limit() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    current_count integer;
    max_allowed   integer;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('device_limit:' || NEW.user_id::text, 0));
    SELECT s.max_devices INTO max_allowed
      FROM public.subscriptions s
     WHERE s.user_id = NEW.user_id AND s.status IN ('active', 'trialing');
    IF max_allowed IS NULL THEN
        max_allowed := 2;
    END IF;
    SELECT count(*) INTO current_count FROM public.devices d WHERE d.user_id = NEW.user_id;
    IF current_count >= max_allowed THEN
        RAISE EXCEPTION 'device limit reached: your plan allows % devices', max_allowed
            USING ERRCODE = 'VD001', DETAIL = max_allowed::text;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER devices_enforce_limit BEFORE INSERT ON devices
    FOR EACH ROW EXECUTE FUNCTION app.check_device_limit();

-- ============================================================================
-- device_properties: tenant_id/user_id are denormalised (composite FK to the device) so the policy is a
-- plain column test (D-16). Values are bounded and checked against their type in the database too.
-- ============================================================================
CREATE TYPE property_data_type AS ENUM ('boolean', 'integer', 'float', 'string', 'event');

CREATE TABLE device_properties (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id           uuid NOT NULL,
    user_id             uuid NOT NULL,
    device_id           uuid NOT NULL,
    name                varchar(64) NOT NULL CHECK (name ~ '^[a-z][a-z0-9_]{0,63}$'),
    value               text CHECK (value IS NULL OR octet_length(value) <= 1024),
    data_type           property_data_type NOT NULL,
    min_value           numeric,
    max_value           numeric,
    allowed_values      text[] CHECK (allowed_values IS NULL OR cardinality(allowed_values) <= 64),
    unit                varchar(50),
    alexa_interface     varchar(100),
    alexa_property_name varchar(100),
    last_changed_by     varchar(16) CHECK (last_changed_by IN ('web', 'api', 'alexa', 'ifttt', 'trigger', 'system')),
    last_changed_at     timestamptz NOT NULL DEFAULT now(),
    created_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT device_properties_device_name_key UNIQUE (device_id, name),
    FOREIGN KEY (tenant_id, user_id, device_id) REFERENCES devices (tenant_id, user_id, id) ON DELETE CASCADE,
    CONSTRAINT device_properties_value_matches_type CHECK (
        value IS NULL OR CASE data_type
            WHEN 'boolean' THEN value IN ('true', 'false')
            WHEN 'integer' THEN value ~ '^-?[0-9]{1,18}$'
                AND (min_value IS NULL OR value::numeric >= min_value)
                AND (max_value IS NULL OR value::numeric <= max_value)
            WHEN 'float' THEN value ~ '^-?[0-9]{1,15}(\.[0-9]{1,15})?$'
                AND (min_value IS NULL OR value::numeric >= min_value)
                AND (max_value IS NULL OR value::numeric <= max_value)
            WHEN 'string' THEN allowed_values IS NULL OR value = ANY (allowed_values)
            ELSE true
        END)
);

-- ============================================================================
-- device_events: one row per committed change, written in the change's own transaction. It is the
-- outbox every reaction (activity, webhooks, Alexa, IFTTT, live updates) reads from, and the history
-- IFTTT polls. No FK to devices: a device.deleted event must outlive its device.
-- ============================================================================
CREATE TABLE device_events (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- unique without an index: GENERATED ALWAYS, and no insert says OVERRIDING SYSTEM VALUE
    seq         bigint GENERATED ALWAYS AS IDENTITY,
    tenant_id   uuid NOT NULL,
    user_id     uuid NOT NULL,
    device_id   uuid NOT NULL,
    kind        varchar(32) NOT NULL CHECK (kind IN
                ('device.created', 'device.updated', 'device.deleted', 'property.changed', 'doorbell.pressed')),
    source      varchar(16) NOT NULL CHECK (source IN ('web', 'api', 'alexa', 'ifttt', 'trigger', 'system')),
    device_version bigint NOT NULL,
    -- [{"property":..,"old":..,"new":..}] and the device snapshot after the change; bounded (D-15)
    changes     jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(changes) = 'array' AND octet_length(changes::text) <= 65536),
    snapshot    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(snapshot) = 'object' AND octet_length(snapshot::text) <= 65536),
    occurred_at timestamptz NOT NULL DEFAULT now(),
    -- the device's name and type at the time of the change: a device.deleted event outlives its device
    device_name varchar(100),
    device_type varchar(32),
    -- the writing transaction: events are dispatched in (tx_id, seq) order (see below)
    tx_id       xid8 DEFAULT pg_current_xact_id()
    -- No foreign key to users either: every change would take a KEY SHARE lock on its user's row, and
    -- concurrent changes of one user would pile MultiXacts onto that row. RLS WITH CHECK already pins
    -- tenant_id/user_id to the context; the account functions delete a user's events with the user.
);
COMMENT ON COLUMN device_events.tx_id IS 'writing transaction (dispatch order)';
-- device_events is written by every change, so every index costs every write: only these three.
-- Resuming a live stream reads "this user's events after seq N"; one device's history goes by (device, seq).
CREATE INDEX device_events_user_seq_idx ON device_events (user_id, seq);
CREATE INDEX device_events_user_device_seq_idx ON device_events (user_id, device_id, seq);
-- The relay reads committed events after its cursor in (tx_id, seq) order. seq is taken when a row is
-- inserted, but rows become visible when their transaction commits, so a lower seq can appear after a
-- higher one has been read. Only rows of transactions older than the oldest one still running
-- (pg_snapshot_xmin of the current snapshot) are read, and every transaction that can still commit has a
-- larger id, so nothing can appear behind the cursor. The price: a write transaction that stays open
-- holds back the dispatch of changes committed after it started (ours last milliseconds).
CREATE INDEX device_events_dispatch_idx ON device_events (tx_id, seq);

-- No NOTIFY trigger here (D-15). The design's trigger made a long value fail the write; worse, every
-- transaction that NOTIFYs takes one database-wide lock from its commit until its WAL flush, so all
-- device writes would commit one at a time. The wake-up is sent after commit, outside the write
-- transaction, by io.virtdevice.devices.DeviceEventNotifier.

-- ============================================================================
-- api_keys and url_triggers: secrets we issue, stored only as SHA-256 (D-09).
-- ============================================================================
CREATE TABLE api_keys (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id    uuid NOT NULL,
    user_id      uuid NOT NULL,
    name         varchar(100) NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    prefix       varchar(16) NOT NULL,
    token_hash   bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
    scopes       text[] NOT NULL CHECK (cardinality(scopes) BETWEEN 1 AND 2 AND scopes <@ ARRAY['read', 'write']),
    expires_at   timestamptz,
    last_used_at timestamptz,
    revoked_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX api_keys_user_idx ON api_keys (user_id, created_at DESC);

CREATE TABLE url_triggers (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id    uuid NOT NULL,
    user_id      uuid NOT NULL,
    device_id    uuid NOT NULL,
    name         varchar(100) NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    prefix       varchar(16) NOT NULL,
    token_hash   bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
    -- fixed action; NULL property = the caller chooses, or the device's default action
    property     varchar(64) CHECK (property IS NULL OR property ~ '^[a-z][a-z0-9_]{0,63}$'),
    value        text CHECK (value IS NULL OR octet_length(value) <= 1024),
    last_used_at timestamptz,
    use_count    bigint NOT NULL DEFAULT 0,
    revoked_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, user_id, device_id) REFERENCES devices (tenant_id, user_id, id) ON DELETE CASCADE
);
CREATE INDEX url_triggers_device_idx ON url_triggers (device_id, created_at DESC);

-- ============================================================================
-- RLS
-- ============================================================================
ALTER TABLE devices ENABLE ROW LEVEL SECURITY;
ALTER TABLE devices FORCE ROW LEVEL SECURITY;
ALTER TABLE device_properties ENABLE ROW LEVEL SECURITY;
ALTER TABLE device_properties FORCE ROW LEVEL SECURITY;
ALTER TABLE device_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE device_events FORCE ROW LEVEL SECURITY;
ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
ALTER TABLE url_triggers ENABLE ROW LEVEL SECURITY;
ALTER TABLE url_triggers FORCE ROW LEVEL SECURITY;

-- user_id and tenant_id are never updatable by the app (D-08: moving a device would dodge the limit).
GRANT SELECT, INSERT, DELETE,
      UPDATE (name, friendly_name, description, model, alexa_display_categories, alexa_capabilities,
              is_online, last_state_change, metadata, version)
    ON devices TO ${app_role};
CREATE POLICY devices_user_isolation ON devices FOR ALL TO ${app_role}
    USING (user_id = (SELECT app.current_user_id()) AND tenant_id = (SELECT app.current_tenant_id()))
    WITH CHECK (user_id = (SELECT app.current_user_id()) AND tenant_id = (SELECT app.current_tenant_id()));

GRANT SELECT, INSERT, DELETE, UPDATE (value, last_changed_by, last_changed_at) ON device_properties TO ${app_role};
CREATE POLICY device_properties_user_isolation ON device_properties FOR ALL TO ${app_role}
    USING (user_id = (SELECT app.current_user_id()) AND tenant_id = (SELECT app.current_tenant_id()))
    WITH CHECK (user_id = (SELECT app.current_user_id()) AND tenant_id = (SELECT app.current_tenant_id()));

-- Events are append-only for the app.
GRANT SELECT, INSERT ON device_events TO ${app_role};
CREATE POLICY device_events_user_isolation ON device_events FOR ALL TO ${app_role}
    USING (user_id = (SELECT app.current_user_id()) AND tenant_id = (SELECT app.current_tenant_id()))
    WITH CHECK (user_id = (SELECT app.current_user_id()) AND tenant_id = (SELECT app.current_tenant_id()));

GRANT SELECT (id, tenant_id, user_id, name, prefix, scopes, expires_at, last_used_at, revoked_at, created_at),
      INSERT, UPDATE (name, revoked_at) ON api_keys TO ${app_role};
CREATE POLICY api_keys_user_isolation ON api_keys FOR ALL TO ${app_role}
    USING (user_id = (SELECT app.current_user_id()) AND tenant_id = (SELECT app.current_tenant_id()))
    WITH CHECK (user_id = (SELECT app.current_user_id()) AND tenant_id = (SELECT app.current_tenant_id()));

GRANT SELECT (id, tenant_id, user_id, device_id, name, prefix, property, value, last_used_at, use_count,
              revoked_at, created_at),
      INSERT, UPDATE (name, revoked_at), DELETE ON url_triggers TO ${app_role};
CREATE POLICY url_triggers_user_isolation ON url_triggers FOR ALL TO ${app_role}
    USING (user_id = (SELECT app.current_user_id()) AND tenant_id = (SELECT app.current_tenant_id()))
    WITH CHECK (user_id = (SELECT app.current_user_id()) AND tenant_id = (SELECT app.current_tenant_id()));

CREATE POLICY devices_definer ON devices TO ${definer_role} USING (true) WITH CHECK (true);
CREATE POLICY device_events_definer ON device_events TO ${definer_role} USING (true) WITH CHECK (true);
GRANT SELECT (tenant_id, user_id), DELETE ON device_events TO ${definer_role};
-- the relay's cross-tenant read (app.device_events_to_dispatch)
GRANT SELECT ON device_events TO ${definer_role};
CREATE POLICY api_keys_definer ON api_keys TO ${definer_role} USING (true) WITH CHECK (true);
CREATE POLICY url_triggers_definer ON url_triggers TO ${definer_role} USING (true) WITH CHECK (true);
GRANT SELECT (id, tenant_id, user_id, device_type) ON devices TO ${definer_role};
GRANT SELECT, UPDATE (last_used_at) ON api_keys TO ${definer_role};
GRANT SELECT, UPDATE (last_used_at, use_count) ON url_triggers TO ${definer_role};

-- ============================================================================================
-- Activity log, partitioned by month from the start (D-13, D-14, D-20).
-- ============================================================================================
-- user_id and device_id are plain columns (no FK): deleting a device must not rewrite the audit trail,
-- and names are snapshotted into details. tenant_id has no FK either: every insert would take a KEY SHARE
-- lock on the tenant's row (MultiXacts under concurrent writes); RLS WITH CHECK pins it to the context
-- tenant, and deleting an account's tenant deletes its log explicitly (app.delete_own_account).

CREATE TABLE activity_logs (
    id         uuid NOT NULL DEFAULT gen_random_uuid(),
    tenant_id  uuid NOT NULL,
    user_id    uuid,
    device_id  uuid,
    -- text, validated by the application's ActivityAction enum (D-19: enums cannot shrink or grow in a tx)
    action     varchar(48) NOT NULL CHECK (action ~ '^[a-z][a-z_.]{1,47}$'),
    details    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(details) = 'object' AND octet_length(details::text) <= 8192),
    source     varchar(16) NOT NULL CHECK (source IN ('web', 'api', 'alexa', 'ifttt', 'trigger', 'system')),
    ip_address inet,
    user_agent varchar(512),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);

CREATE INDEX activity_logs_tenant_time_idx ON activity_logs (tenant_id, created_at DESC, id DESC);
CREATE INDEX activity_logs_device_time_idx ON activity_logs (device_id, created_at DESC, id DESC) WHERE device_id IS NOT NULL;

-- The safety net: a row whose month has no partition yet lands here instead of failing the write.
CREATE TABLE activity_logs_default PARTITION OF activity_logs DEFAULT;

ALTER TABLE activity_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE activity_logs FORCE ROW LEVEL SECURITY;
-- RLS is per relation: a partition named directly would ignore the parent's policies (D-14). The app has
-- no grant on any partition, and each one has RLS enabled and forced with no policy besides.
ALTER TABLE activity_logs_default ENABLE ROW LEVEL SECURITY;
ALTER TABLE activity_logs_default FORCE ROW LEVEL SECURITY;

-- Append-only for the app; a row names the acting user (or nobody) of the context tenant.
GRANT SELECT, INSERT ON activity_logs TO ${app_role};
CREATE POLICY activity_logs_insert ON activity_logs FOR INSERT TO ${app_role}
    WITH CHECK (tenant_id = (SELECT app.current_tenant_id())
                AND (user_id IS NULL OR user_id = (SELECT app.current_user_id())));
-- Members read their own entries; owners and admins read the whole tenant's.
CREATE POLICY activity_logs_select ON activity_logs FOR SELECT TO ${app_role}
    USING (tenant_id = (SELECT app.current_tenant_id())
           AND (user_id = (SELECT app.current_user_id()) OR (SELECT app.current_user_is_admin())));

CREATE POLICY activity_logs_definer ON activity_logs TO ${definer_role} USING (true) WITH CHECK (true);
GRANT SELECT (tenant_id), DELETE ON activity_logs TO ${definer_role};

-- Creates the monthly partitions from this month to months_ahead months ahead; idempotent. Runs as the
-- owner (only the owner may attach partitions). A month whose rows already sit in the default partition
-- is skipped with a warning rather than failing the job.
CREATE FUNCTION app.ensure_activity_partitions(months_ahead integer) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
DECLARE
    month_start date;
    part_name   text;
    created     integer := 0;
BEGIN
    IF months_ahead < 0 OR months_ahead > 24 THEN
        RAISE EXCEPTION 'months_ahead must be between 0 and 24' USING ERRCODE = '22023';
    END IF;
    FOR i IN 0..months_ahead LOOP
        month_start := (date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => i))::date;
        part_name := 'activity_logs_' || to_char(month_start, 'YYYY_MM');
        CONTINUE WHEN to_regclass('public.' || part_name) IS NOT NULL;
        BEGIN
            EXECUTE format('CREATE TABLE public.%I PARTITION OF public.activity_logs FOR VALUES FROM (%L) TO (%L)',
                           part_name,
                           (month_start::timestamp AT TIME ZONE 'UTC'),
                           ((month_start + interval '1 month')::timestamp AT TIME ZONE 'UTC'));
            EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', part_name);
            EXECUTE format('ALTER TABLE public.%I FORCE ROW LEVEL SECURITY', part_name);
            created := created + 1;
        EXCEPTION WHEN check_violation THEN
            RAISE WARNING 'partition % not created: rows for that month are already in the default partition', part_name;
        END;
    END LOOP;
    RETURN created;
END
$$;
GRANT EXECUTE ON FUNCTION app.ensure_activity_partitions(integer) TO ${app_role};

SELECT app.ensure_activity_partitions(3);

-- ============================================================================================
-- The OAuth, Alexa, IFTTT and webhook tables (D-06, D-09, D-10, D-12, D-17, D-19, D-21, D-22). No client
-- row or secret is seeded here (D-21): clients are registered from configuration at start-up.
-- ============================================================================================

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
    updated_at             timestamptz NOT NULL DEFAULT now(),
    require_pkce           boolean NOT NULL DEFAULT true,
    secret_updated_at      timestamptz
);
CREATE TRIGGER oauth_clients_touch BEFORE UPDATE ON oauth_clients FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();

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

-- Tokens stored only as SHA-256; family/parent for rotation with reuse detection (D-10). A token
-- pair belongs to a grant of the same user (D-06), and goes with it.
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
    rotated_at               timestamptz,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT oauth_tokens_family_fkey FOREIGN KEY (family_id, tenant_id, user_id)
        REFERENCES oauth_authorizations (id, tenant_id, user_id) ON DELETE CASCADE
);
CREATE INDEX oauth_tokens_user_idx ON oauth_tokens (user_id, client_id);
CREATE INDEX oauth_tokens_client_idx ON oauth_tokens (client_id);
CREATE INDEX oauth_tokens_family_idx ON oauth_tokens (family_id);

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
-- allow-listed and bounded (D-22): up to 10 custom headers of up to 1 KiB each (validated in the
-- application) must fit; the signing secret is stored encrypted (D-09), and the secret being rotated out
-- keeps signing (second signature) until it expires.
CREATE TABLE webhooks (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id         uuid NOT NULL,
    user_id           uuid NOT NULL,
    device_id         uuid,
    url               varchar(2048) NOT NULL CHECK (url ~ '^https?://'),
    events            text[] NOT NULL CHECK (cardinality(events) BETWEEN 1 AND 16)
                      CONSTRAINT webhooks_events_known
                      CHECK (events <@ ARRAY['device.created', 'device.updated', 'device.deleted', 'property.changed',
                                             'doorbell.pressed']::text[]),
    secret_enc        bytea NOT NULL,
    headers           jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(headers) = 'object'
                      AND octet_length(headers::text) <= 16384),
    enabled           boolean NOT NULL DEFAULT true,
    last_triggered_at timestamptz,
    last_status_code  integer,
    failure_count     integer NOT NULL DEFAULT 0,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    previous_secret_enc        bytea,
    previous_secret_expires_at timestamptz,
    secret_rotated_at          timestamptz,
    -- first failed attempt since the last success; the basis of automatic disabling
    failing_since              timestamptz,
    disabled_at                timestamptz,
    disabled_reason            varchar(16) CHECK (disabled_reason IN ('user', 'gone', 'failing')),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id, device_id) REFERENCES devices (tenant_id, user_id, id) ON DELETE CASCADE,
    -- composite target so a delivery can only belong to its own user's webhook (D-06)
    CONSTRAINT webhooks_tenant_user_id_key UNIQUE (tenant_id, user_id, id)
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
ALTER TABLE oauth_authorizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE oauth_authorizations FORCE ROW LEVEL SECURITY;
ALTER TABLE oauth_consents ENABLE ROW LEVEL SECURITY;
ALTER TABLE oauth_consents FORCE ROW LEVEL SECURITY;

-- The app role writes grants and tokens of the context user only; it can never read a hash column.
GRANT SELECT (id, tenant_id, user_id, client_id, family_id, parent_id, access_token_expires_at,
              refresh_token_expires_at, scope, revoked_at, last_used_at, created_at, rotated_at),
      INSERT,
      UPDATE (revoked_at, rotated_at) ON oauth_tokens TO ${app_role};
CREATE POLICY oauth_tokens_user_isolation ON oauth_tokens FOR ALL TO ${app_role}
    USING (user_id = (SELECT app.current_user_id()) AND tenant_id = (SELECT app.current_tenant_id()))
    WITH CHECK (user_id = (SELECT app.current_user_id()) AND tenant_id = (SELECT app.current_tenant_id()));

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

GRANT SELECT, INSERT, UPDATE (scopes), DELETE ON oauth_consents TO ${app_role};
CREATE POLICY oauth_consents_user_isolation ON oauth_consents FOR ALL TO ${app_role}
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
      UPDATE (device_id, url, events, secret_enc, headers, enabled, last_triggered_at, last_status_code, failure_count,
              previous_secret_enc, previous_secret_expires_at, secret_rotated_at, failing_since, disabled_at,
              disabled_reason)
    ON webhooks TO ${app_role};
CREATE POLICY webhooks_user_isolation ON webhooks FOR ALL TO ${app_role}
    USING (user_id = (SELECT app.current_user_id()) AND tenant_id = (SELECT app.current_tenant_id()))
    WITH CHECK (user_id = (SELECT app.current_user_id()) AND tenant_id = (SELECT app.current_tenant_id()));

CREATE POLICY oauth_clients_definer ON oauth_clients TO ${definer_role} USING (true) WITH CHECK (true);
CREATE POLICY oauth_tokens_definer ON oauth_tokens TO ${definer_role} USING (true) WITH CHECK (true);
CREATE POLICY oauth_authorizations_definer ON oauth_authorizations TO ${definer_role} USING (true) WITH CHECK (true);
GRANT SELECT ON oauth_clients TO ${definer_role};
GRANT SELECT, UPDATE (revoked_at, last_used_at) ON oauth_tokens TO ${definer_role};
GRANT SELECT, DELETE ON oauth_authorizations TO ${definer_role};

-- ============================================================================================
-- System tables with no tenant data in columns the app filters on. They carry no RLS and are listed
-- as such in the catalog test (DatabaseCatalogTests) and the startup check.
-- ============================================================================================

-- db-scheduler's durable job table (claimed with FOR UPDATE SKIP LOCKED).
CREATE TABLE scheduled_tasks (
    task_name            text NOT NULL,
    task_instance        text NOT NULL,
    task_data            bytea,
    execution_time       timestamptz NOT NULL,
    picked               boolean NOT NULL,
    picked_by            text,
    last_success         timestamptz,
    last_failure         timestamptz,
    consecutive_failures integer,
    last_heartbeat       timestamptz,
    version              bigint NOT NULL,
    priority             smallint,
    PRIMARY KEY (task_name, task_instance)
);
CREATE INDEX scheduled_tasks_execution_time_idx ON scheduled_tasks (execution_time);
CREATE INDEX scheduled_tasks_last_heartbeat_idx ON scheduled_tasks (last_heartbeat);
CREATE INDEX scheduled_tasks_priority_execution_time_idx ON scheduled_tasks (priority DESC, execution_time ASC);
GRANT SELECT, INSERT, UPDATE, DELETE ON scheduled_tasks TO ${app_role};

-- Spring Session JDBC: sessions shared by every instance (spring-session-jdbc's PostgreSQL schema).
CREATE TABLE spring_session (
    primary_id            char(36) NOT NULL,
    session_id            char(36) NOT NULL,
    creation_time         bigint NOT NULL,
    last_access_time      bigint NOT NULL,
    max_inactive_interval integer NOT NULL,
    expiry_time           bigint NOT NULL,
    principal_name        varchar(100),
    CONSTRAINT spring_session_pk PRIMARY KEY (primary_id)
);
CREATE UNIQUE INDEX spring_session_ix1 ON spring_session (session_id);
CREATE INDEX spring_session_ix2 ON spring_session (expiry_time);
CREATE INDEX spring_session_ix3 ON spring_session (principal_name);

CREATE TABLE spring_session_attributes (
    session_primary_id char(36) NOT NULL,
    attribute_name     varchar(200) NOT NULL,
    attribute_bytes    bytea NOT NULL,
    CONSTRAINT spring_session_attributes_pk PRIMARY KEY (session_primary_id, attribute_name),
    CONSTRAINT spring_session_attributes_fk FOREIGN KEY (session_primary_id)
        REFERENCES spring_session (primary_id) ON DELETE CASCADE
);
GRANT SELECT, INSERT, UPDATE, DELETE ON spring_session, spring_session_attributes TO ${app_role};

-- How far the change-event relay has got (see device_events_dispatch_idx): one row, locked FOR UPDATE
-- SKIP LOCKED by the instance that dispatches (others skip). It holds no tenant data (a system table, like
-- scheduled_tasks).
CREATE TABLE event_dispatch_cursor (
    id         boolean PRIMARY KEY DEFAULT true CHECK (id),
    tx_id      xid8 NOT NULL,
    seq        bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO event_dispatch_cursor (tx_id, seq) VALUES ('0', 0);
GRANT SELECT, UPDATE (tx_id, seq, updated_at) ON event_dispatch_cursor TO ${app_role};

-- ============================================================================================
-- The named SECURITY DEFINER functions for the paths that must work before (or across) a tenant
-- context (D-10, D-11). Each: owned by the definer role (no BYPASSRLS; it sees rows through its own
-- policies and only the columns granted to it), search_path = '', EXECUTE revoked from PUBLIC and
-- granted to the app role only, returning the minimum. Errors use SQLSTATE classes the API maps:
--   VD001 plan limit, VD002 email taken, VD003 slug taken, VD403 not allowed, VD404 not found,
--   VD409 conflict (e.g. the last owner).
-- ============================================================================================

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

-- Returns the account to mail, or no row for an unknown email (the caller answers identically). At most
-- 3 reset links per account are issued in 15 minutes, so nobody can flood a user's inbox; further
-- requests answer exactly like the others but issue and send nothing.
CREATE FUNCTION app.request_password_reset(p_email text, p_token_hash bytea, p_ttl_seconds integer)
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
        -- the tenant's only user: its events are this user's (removed members' went with them)
        DELETE FROM public.device_events WHERE user_id = app.current_user_id();
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
-- last_used_at is written only when it is more than a minute old, and the key read without a lock
-- otherwise: concurrent resolutions of one key must not queue on its row lock.
CREATE FUNCTION app.resolve_api_key(p_token_hash bytea)
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

-- ============================================================================================
-- Outbound webhook deliveries (security review §4, D-06, D-09, D-22).
-- ============================================================================================
-- One row per message and endpoint: the delivery log is also the retry state of every message. msg_id
-- is the webhook-id header: stable across retries and manual redeliveries, so receivers can deduplicate;
-- it is derived from the primary key ('msg_' + the uuid's hex), which already makes it unique. payload is
-- the exact JSON body, so every attempt sends the same bytes. (webhook_id, event_id) is unique, so a
-- dispatch that runs twice stages each message once.
CREATE TABLE webhook_deliveries (
    id               uuid PRIMARY KEY,
    tenant_id        uuid NOT NULL,
    user_id          uuid NOT NULL,
    webhook_id       uuid NOT NULL,
    event_id         uuid,
    msg_id           varchar(64) NOT NULL CHECK (msg_id ~ '^msg_[A-Za-z0-9]{1,60}$'),
    event_type       varchar(32) NOT NULL CHECK (event_type IN ('device.created', 'device.updated', 'device.deleted',
                                                                'property.changed', 'doorbell.pressed', 'webhook.test')),
    payload          text NOT NULL CHECK (octet_length(payload) <= 20480),
    status           varchar(16) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts     integer NOT NULL CHECK (max_attempts BETWEEN 1 AND 1000),
    next_attempt_at  timestamptz,
    last_attempt_at  timestamptz,
    http_status      integer CHECK (http_status BETWEEN 100 AND 999),
    latency_ms       integer CHECK (latency_ms >= 0),
    response_excerpt text CHECK (octet_length(response_excerpt) <= 1024),
    error            varchar(512),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    -- crash guard of the first attempt, which runs in the process that staged the message right after the
    -- dispatch commits: set when staged, cleared when the first attempt is recorded. A message whose lease
    -- has run out (its process died, or shut down before sending) is handed to db-scheduler by the lease
    -- sweep every instance runs, which then sends it like any retry.
    lease_until      timestamptz,
    CONSTRAINT webhook_deliveries_msg_id_from_id CHECK (msg_id = 'msg_' || replace(id::text, '-', '')),
    CONSTRAINT webhook_deliveries_webhook_event_key UNIQUE (webhook_id, event_id),
    -- Pins the delivery to its own user's webhook and goes with it (and the webhook goes with its user).
    -- No separate key to users: it would KEY SHARE-lock the user's row on every insert.
    FOREIGN KEY (tenant_id, user_id, webhook_id) REFERENCES webhooks (tenant_id, user_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, created_at DESC, id DESC);
CREATE INDEX webhook_deliveries_finished_idx ON webhook_deliveries (created_at) WHERE status <> 'pending';
COMMENT ON COLUMN webhook_deliveries.lease_until IS
    'first attempt leased to the staging process until then; NULL once recorded or handed to db-scheduler';
CREATE INDEX webhook_deliveries_lease_idx ON webhook_deliveries (lease_until) WHERE lease_until IS NOT NULL;
CREATE TRIGGER webhook_deliveries_touch BEFORE UPDATE ON webhook_deliveries
    FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();

ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_deliveries FORCE ROW LEVEL SECURITY;

-- The log is append-and-update for the app: no DELETE (rows go with their webhook, or by retention).
GRANT SELECT, INSERT,
      UPDATE (status, attempts, max_attempts, next_attempt_at, last_attempt_at, http_status, latency_ms,
              response_excerpt, error, lease_until)
    ON webhook_deliveries TO ${app_role};
CREATE POLICY webhook_deliveries_user_isolation ON webhook_deliveries FOR ALL TO ${app_role}
    USING (user_id = (SELECT app.current_user_id()) AND tenant_id = (SELECT app.current_tenant_id()))
    WITH CHECK (user_id = (SELECT app.current_user_id()) AND tenant_id = (SELECT app.current_tenant_id()));

-- Retention across tenants (a daily job): finished deliveries older than the given number of days, in
-- bounded batches so one run never holds a huge delete.
CREATE FUNCTION app.purge_webhook_deliveries(p_older_than_days integer, p_batch integer) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
DECLARE
    n integer;
BEGIN
    IF p_older_than_days < 1 OR p_batch < 1 OR p_batch > 100000 THEN
        RAISE EXCEPTION 'invalid retention arguments' USING ERRCODE = '22023';
    END IF;
    DELETE FROM public.webhook_deliveries
     WHERE id IN (SELECT d.id FROM public.webhook_deliveries d
                   WHERE d.status <> 'pending' AND d.created_at < now() - make_interval(days => p_older_than_days)
                   LIMIT p_batch);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
CREATE POLICY webhook_deliveries_definer ON webhook_deliveries TO ${definer_role} USING (true) WITH CHECK (true);
GRANT SELECT (id, tenant_id, user_id, status, created_at, lease_until), DELETE ON webhook_deliveries TO ${definer_role};

-- Expired first-attempt leases across tenants (only ids and owners: the handover itself runs under the
-- owner's context).
CREATE FUNCTION app.webhook_deliveries_lease_expired(p_limit integer)
    RETURNS TABLE (id uuid, tenant_id uuid, user_id uuid)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
    AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT d.id, d.tenant_id, d.user_id
      FROM public.webhook_deliveries d
     WHERE d.lease_until < now()
     ORDER BY d.lease_until
     LIMIT least(greatest(p_limit, 1), 1000);
END
$$;

-- ============================================================================================
-- The change-event relay's cross-tenant reads: the only cross-tenant reads of events, definer functions
-- so the app role's own policies stay per user. PL/pgSQL, not SQL: a SECURITY DEFINER SQL function is
-- never inlined and plans its query on every call; PL/pgSQL keeps the plan for the session.
-- ============================================================================================
-- The next committed events after the cursor, across tenants.
CREATE FUNCTION app.device_events_to_dispatch(p_tx xid8, p_seq bigint, p_limit integer)
    RETURNS TABLE (id uuid, seq bigint, tx_id xid8, tenant_id uuid, user_id uuid, device_id uuid,
                   device_name varchar, device_type varchar, kind varchar, source varchar, device_version bigint,
                   changes text, snapshot text, occurred_at timestamptz)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
    AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT e.id, e.seq, e.tx_id, e.tenant_id, e.user_id, e.device_id, e.device_name, e.device_type, e.kind,
           e.source, e.device_version, e.changes::text, e.snapshot::text, e.occurred_at
      FROM public.device_events e
     WHERE (e.tx_id, e.seq) > (p_tx, p_seq)
       AND e.tx_id < pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot())
     ORDER BY e.tx_id, e.seq
     LIMIT least(greatest(p_limit, 1), 1000);
END
$$;

-- Whether events exist after the cursor that are not dispatchable yet (an older transaction is still open).
CREATE FUNCTION app.device_events_held_back(p_tx xid8, p_seq bigint) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
    AS $$
BEGIN
    -- not EXISTS (...): the planner drops the ORDER BY inside EXISTS and then prefers a sequential scan
    RETURN (SELECT e.seq FROM public.device_events e
             WHERE (e.tx_id, e.seq) > (p_tx, p_seq)
             ORDER BY e.tx_id, e.seq
             LIMIT 1) IS NOT NULL;
END
$$;

-- ============================================================================================
-- The OAuth 2.0 authorization server (D-09, D-10, D-12, D-21). Clients are NOT written by the app role,
-- not even through a function (D-12): the application registers the clients of its configuration from a
-- Flyway afterMigrate callback, i.e. as the owner role, on the migration connection
-- (io.virtdevice.oauth.OAuthClientRegistration). The app role keeps no grant at all on oauth_clients and
-- reads clients through app.oauth_client()/app.oauth_client_by_id().
-- ============================================================================================
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

-- ============================================================================================
-- Every SECURITY DEFINER function above is owned by the definer role and executable by the app role only.
-- ============================================================================================
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
        'app.purge_security_events(integer)',
        'app.purge_webhook_deliveries(integer, integer)',
        'app.webhook_deliveries_lease_expired(integer)',
        'app.device_events_to_dispatch(xid8, bigint, integer)',
        'app.device_events_held_back(xid8, bigint)',
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
GRANT EXECUTE ON FUNCTION app.role_rank(public.user_role) TO ${app_role}, ${definer_role};
GRANT EXECUTE ON FUNCTION app.login_retry_after(text, inet), app.caller_role() TO ${definer_role};
