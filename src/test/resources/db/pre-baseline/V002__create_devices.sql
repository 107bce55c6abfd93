-- Devices, typed properties and the change-event record (D-06, D-07, D-08, D-15, D-16, D-17, D-19).

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
    seq         bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
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
    occurred_at timestamptz NOT NULL DEFAULT now()
    -- No foreign key to users either: every change would take a KEY SHARE lock on its user's row, and
    -- concurrent changes of one user would pile MultiXacts onto that row. RLS WITH CHECK already pins
    -- tenant_id/user_id to the context; the account functions delete a user's events with the user.
);
CREATE INDEX device_events_tenant_idx ON device_events (tenant_id);
CREATE INDEX device_events_user_device_idx ON device_events (user_id, device_id, occurred_at DESC, id DESC);
CREATE INDEX device_events_user_idx ON device_events (user_id, occurred_at DESC, id DESC);

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
CREATE POLICY api_keys_definer ON api_keys TO ${definer_role} USING (true) WITH CHECK (true);
CREATE POLICY url_triggers_definer ON url_triggers TO ${definer_role} USING (true) WITH CHECK (true);
GRANT SELECT (id, tenant_id, user_id, device_type) ON devices TO ${definer_role};
GRANT SELECT, UPDATE (last_used_at) ON api_keys TO ${definer_role};
GRANT SELECT, UPDATE (last_used_at, use_count) ON url_triggers TO ${definer_role};
