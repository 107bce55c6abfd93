-- Outbound webhooks (issue 4; security review §4, D-06, D-09, D-22): secret rotation with an overlap
-- window, automatic disabling, and the delivery log that is also the retry state of every message.

-- Up to 10 custom headers of up to 1 KiB each (validated in the application) must fit.
ALTER TABLE webhooks DROP CONSTRAINT webhooks_headers_check;
ALTER TABLE webhooks ADD CONSTRAINT webhooks_headers_check
    CHECK (jsonb_typeof(headers) = 'object' AND octet_length(headers::text) <= 16384);
ALTER TABLE webhooks ADD CONSTRAINT webhooks_events_known
    CHECK (events <@ ARRAY['device.created', 'device.updated', 'device.deleted', 'property.changed',
                           'doorbell.pressed']::text[]);
ALTER TABLE webhooks
    -- the secret being rotated out keeps signing (second signature) until it expires
    ADD COLUMN previous_secret_enc        bytea,
    ADD COLUMN previous_secret_expires_at timestamptz,
    ADD COLUMN secret_rotated_at          timestamptz,
    -- first failed attempt since the last success; the basis of automatic disabling
    ADD COLUMN failing_since              timestamptz,
    ADD COLUMN disabled_at                timestamptz,
    ADD COLUMN disabled_reason            varchar(16) CHECK (disabled_reason IN ('user', 'gone', 'failing')),
    -- composite target so a delivery can only belong to its own user's webhook (D-06)
    ADD CONSTRAINT webhooks_tenant_user_id_key UNIQUE (tenant_id, user_id, id);

GRANT UPDATE (device_id, previous_secret_enc, previous_secret_expires_at, secret_rotated_at, failing_since,
              disabled_at, disabled_reason)
    ON webhooks TO ${app_role};

-- One row per message and endpoint. msg_id is the webhook-id header: stable across retries and manual
-- redeliveries, so receivers can deduplicate. payload is the exact JSON body, so every attempt sends the
-- same bytes. (webhook_id, event_id) is unique, so a dispatch that runs twice stages each message once.
CREATE TABLE webhook_deliveries (
    id               uuid PRIMARY KEY,
    tenant_id        uuid NOT NULL,
    user_id          uuid NOT NULL,
    webhook_id       uuid NOT NULL,
    event_id         uuid,
    msg_id           varchar(64) NOT NULL UNIQUE CHECK (msg_id ~ '^msg_[A-Za-z0-9]{1,60}$'),
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
    CONSTRAINT webhook_deliveries_webhook_event_key UNIQUE (webhook_id, event_id),
    -- Pins the delivery to its own user's webhook and goes with it (and the webhook goes with its user).
    -- No separate key to users: it would KEY SHARE-lock the user's row on every insert.
    FOREIGN KEY (tenant_id, user_id, webhook_id) REFERENCES webhooks (tenant_id, user_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, created_at DESC, id DESC);
CREATE INDEX webhook_deliveries_finished_idx ON webhook_deliveries (created_at) WHERE status <> 'pending';
CREATE TRIGGER webhook_deliveries_touch BEFORE UPDATE ON webhook_deliveries
    FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();

ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_deliveries FORCE ROW LEVEL SECURITY;

-- The log is append-and-update for the app: no DELETE (rows go with their webhook, or by retention).
GRANT SELECT, INSERT,
      UPDATE (status, attempts, max_attempts, next_attempt_at, last_attempt_at, http_status, latency_ms,
              response_excerpt, error)
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
GRANT SELECT (id, status, created_at), DELETE ON webhook_deliveries TO ${definer_role};
ALTER FUNCTION app.purge_webhook_deliveries(integer, integer) OWNER TO ${definer_role};
GRANT EXECUTE ON FUNCTION app.purge_webhook_deliveries(integer, integer) TO ${app_role};
