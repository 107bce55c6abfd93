-- Billing with Stripe (issue 13). The subscription a user's limits come from is changed by exactly one path:
-- app.apply_stripe_event(), a SECURITY DEFINER function that itself checks the Stripe-Signature of the
-- event (HMAC-SHA256 with the webhook secret, which only the definer role can read), records the event id
-- in the same transaction as its effects (a second delivery changes nothing) and ignores a state older than
-- the one it already has (out-of-order delivery). The app role still has no write grant on subscriptions
-- (D-05): even with SQL injection it cannot raise its own limit without an event Stripe signed.
--
-- The plan of a tenant is its owner's subscription (the Checkout is tied to the owner's user id); every
-- member's devices count against that plan's per-user limit (docs/decisions.md, "Billing").

-- What the application configured (written at every start-up by the owner role, Flyway callback
-- BillingSetup): the free plan's limit, the past_due grace period, the webhook signing secret(s) and the
-- price id -> tier/limit table. No grant to the app role at all: the secret must stay out of its reach.
CREATE TABLE app.billing_settings (
    singleton          boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    free_max_devices   integer NOT NULL DEFAULT 2 CHECK (free_max_devices BETWEEN 0 AND 300),
    past_due_grace     interval NOT NULL DEFAULT interval '7 days',
    signature_tolerance integer NOT NULL DEFAULT 300 CHECK (signature_tolerance BETWEEN 1 AND 3600),
    -- null = Stripe is not configured: every event is refused
    webhook_secret     text,
    updated_at         timestamptz NOT NULL DEFAULT now()
);
INSERT INTO app.billing_settings DEFAULT VALUES;

CREATE TABLE app.billing_prices (
    price_id    varchar(255) PRIMARY KEY,
    tier        subscription_tier NOT NULL CHECK (tier <> 'free'),
    -- 300 = Alexa's endpoint limit per customer (D-08)
    max_devices integer NOT NULL CHECK (max_devices BETWEEN 0 AND 300)
);

-- Every Stripe event processed, by id (idempotency; the row is written in the effects' transaction).
CREATE TABLE app.stripe_events (
    id          varchar(255) PRIMARY KEY,
    type        varchar(255) NOT NULL,
    created     timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    user_id     uuid,
    outcome     varchar(32) NOT NULL DEFAULT 'received'
);
CREATE INDEX stripe_events_received_idx ON app.stripe_events (received_at);

GRANT SELECT ON app.billing_settings, app.billing_prices TO ${definer_role};
GRANT SELECT, INSERT, UPDATE (user_id, outcome) ON app.stripe_events TO ${definer_role};

-- The subscription row learns what the application needs to decide the entitlement at read time.
ALTER TABLE subscriptions
    ADD COLUMN stripe_price_id varchar(255),
    -- when the row entered past_due (the grace period runs from here); null otherwise
    ADD COLUMN past_due_since  timestamptz,
    -- the Stripe time of the state stored (the event's created time, or when it was re-fetched): an older
    -- state arriving later is ignored
    ADD COLUMN stripe_state_at timestamptz;

GRANT UPDATE (stripe_customer_id, stripe_subscription_id, stripe_price_id, tier, status, max_devices,
              current_period_start, current_period_end, cancel_at_period_end, canceled_at, trial_start,
              trial_end, past_due_since, stripe_state_at) ON subscriptions TO ${definer_role};
GRANT INSERT ON activity_logs TO ${definer_role};

-- HMAC-SHA256 (RFC 2104) over the core sha256(); pgcrypto is not installed (D-19).
CREATE FUNCTION app.hmac_sha256(p_key bytea, p_message bytea) RETURNS bytea
    LANGUAGE plpgsql IMMUTABLE STRICT SET search_path = ''
    AS $$
DECLARE
    k    bytea := p_key;
    ipad bytea;
    opad bytea;
BEGIN
    IF length(k) > 64 THEN
        k := sha256(k);
    END IF;
    k := k || decode(repeat('00', 64 - length(k)), 'hex');
    ipad := k;
    opad := k;
    FOR i IN 0..63 LOOP
        ipad := set_byte(ipad, i, get_byte(k, i) # 54);
        opad := set_byte(opad, i, get_byte(k, i) # 92);
    END LOOP;
    RETURN sha256(opad || sha256(ipad || p_message));
END
$$;
REVOKE EXECUTE ON FUNCTION app.hmac_sha256(bytea, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.hmac_sha256(bytea, bytea) TO ${definer_role};

-- The plan of the context tenant as it applies now: its owner's subscription (the best one, should the
-- tenant have several owners), entitled while active or trialing, and while past_due within the grace
-- period; anything else (canceled, unpaid, incomplete, incomplete_expired, paused, a status Stripe adds
-- later) falls back to the free plan. In instance mode (no billing) the configured instance limit applies.
CREATE FUNCTION app.tenant_plan()
    RETURNS TABLE (billing boolean, owner_id uuid, tier text, max_devices integer, status text, paid_tier text,
                   paid_max_devices integer, current_period_end timestamptz, cancel_at_period_end boolean,
                   canceled_at timestamptz, trial_end timestamptz, grace_ends timestamptz,
                   has_customer boolean)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
    AS $$
    WITH cfg AS (
        SELECT l.mode, l.max_devices AS instance_max, b.free_max_devices, b.past_due_grace
          FROM app.instance_limits l CROSS JOIN app.billing_settings b
    ), owner_plans AS (
        SELECT s.*,
               (s.status IN ('active', 'trialing')
                OR (s.status = 'past_due' AND s.past_due_since + cfg.past_due_grace > now())) AS entitled,
               s.past_due_since + cfg.past_due_grace AS grace_until
          FROM public.subscriptions s
          JOIN public.users u ON u.id = s.user_id AND u.tenant_id = s.tenant_id
         CROSS JOIN cfg
         WHERE s.tenant_id = app.current_tenant_id() AND u.role = 'owner'
    )
    SELECT cfg.mode = 'plans',
           p.user_id,
           CASE WHEN cfg.mode = 'instance' THEN coalesce(p.tier::text, 'free')
                WHEN p.entitled THEN p.tier::text ELSE 'free' END,
           CASE WHEN cfg.mode = 'instance' THEN cfg.instance_max
                WHEN p.entitled AND p.tier <> 'free' THEN p.max_devices
                -- a free row's stored limit is an individual allowance: never below the configured free limit
                WHEN p.entitled THEN greatest(p.max_devices, cfg.free_max_devices)
                ELSE cfg.free_max_devices END,
           coalesce(p.status, 'active'),
           coalesce(p.tier::text, 'free'),
           coalesce(p.max_devices, cfg.free_max_devices),
           p.current_period_end,
           coalesce(p.cancel_at_period_end, false),
           p.canceled_at,
           p.trial_end,
           CASE WHEN p.status = 'past_due' THEN p.grace_until END,
           p.stripe_customer_id IS NOT NULL
      FROM cfg
      LEFT JOIN LATERAL (SELECT * FROM owner_plans o
                          ORDER BY o.entitled DESC, o.max_devices DESC, o.user_id LIMIT 1) p ON true
$$;
ALTER FUNCTION app.tenant_plan() OWNER TO ${definer_role};
REVOKE EXECUTE ON FUNCTION app.tenant_plan() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.tenant_plan() TO ${app_role};

-- The device limit now reads the tenant's plan (above) instead of the user's own row; still race-free
-- (D-08): the per-user advisory lock serialises inserts, and apply_stripe_event takes the same locks, so
-- an insert either finishes under the old plan or sees the new one. DETAIL carries 'limit,count,mode'.
CREATE OR REPLACE FUNCTION app.check_device_limit() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    current_count integer;
    plan          record;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('device_limit:' || NEW.user_id::text, 0));
    SELECT p.max_devices, p.billing INTO plan FROM app.tenant_plan() p;
    SELECT count(*) INTO current_count FROM public.devices d WHERE d.user_id = NEW.user_id;
    IF current_count >= plan.max_devices THEN
        RAISE EXCEPTION 'device limit reached: your plan allows % devices', plan.max_devices
            USING ERRCODE = 'VD001',
                  DETAIL = plan.max_devices::text || ',' || current_count::text || ','
                           || CASE WHEN plan.billing THEN 'plans' ELSE 'instance' END;
    END IF;
    RETURN NEW;
END
$$;

-- The one way to change a subscription. p_payload and p_signature are the webhook request's raw body and
-- Stripe-Signature header; p_subscription is the subscription the application re-fetched from Stripe's API
-- for this event (or null), p_fetched_at when. Returns the outcome: applied, duplicate, stale, ignored or
-- unmatched. Refuses a missing, wrong or stale signature with SQLSTATE VD401.
CREATE FUNCTION app.apply_stripe_event(p_payload text, p_signature text, p_subscription jsonb,
                                       p_fetched_at timestamptz)
    RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
DECLARE
    cfg        record;
    ts         bigint;
    part       text;
    verified   boolean := false;
    event      jsonb;
    obj        jsonb;
    sub        jsonb;
    sub_id     text;
    customer   text;
    owner_ref  text;
    owner      record;
    current    record;
    price      record;
    state_at   timestamptz;
    new_status text;
    action     text;
BEGIN
    SELECT b.webhook_secret, b.signature_tolerance, b.free_max_devices INTO cfg FROM app.billing_settings b;
    IF cfg.webhook_secret IS NULL OR p_signature IS NULL OR p_payload IS NULL THEN
        RAISE EXCEPTION 'stripe signature missing' USING ERRCODE = 'VD401';
    END IF;
    FOREACH part IN ARRAY string_to_array(p_signature, ',') LOOP
        IF part ~ '^t=[0-9]{1,12}$' THEN
            ts := substr(part, 3)::bigint;
        END IF;
    END LOOP;
    IF ts IS NULL OR abs(extract(epoch FROM now()) - ts) > cfg.signature_tolerance THEN
        RAISE EXCEPTION 'stripe signature timestamp missing or outside the tolerance' USING ERRCODE = 'VD401';
    END IF;
    FOREACH part IN ARRAY string_to_array(p_signature, ',') LOOP
        IF part = 'v1=' || encode(app.hmac_sha256(convert_to(cfg.webhook_secret, 'UTF8'),
                                                  convert_to(ts::text || '.' || p_payload, 'UTF8')), 'hex') THEN
            verified := true;
        END IF;
    END LOOP;
    IF NOT verified THEN
        RAISE EXCEPTION 'stripe signature does not match' USING ERRCODE = 'VD401';
    END IF;

    event := p_payload::jsonb;
    INSERT INTO app.stripe_events (id, type, created)
         VALUES (left(event->>'id', 255), left(event->>'type', 255), to_timestamp((event->>'created')::bigint))
    ON CONFLICT (id) DO NOTHING;
    IF NOT FOUND THEN
        RETURN 'duplicate';
    END IF;

    obj := event->'data'->'object';
    IF event->>'type' = 'checkout.session.completed' AND obj->>'mode' = 'subscription' THEN
        sub_id := obj->>'subscription';
        customer := obj->>'customer';
        owner_ref := coalesce(obj->>'client_reference_id', obj->'metadata'->>'user_id');
    ELSIF event->>'type' LIKE 'customer.subscription.%' THEN
        sub_id := obj->>'id';
        customer := obj->>'customer';
        owner_ref := obj->'metadata'->>'user_id';
    ELSE
        UPDATE app.stripe_events SET outcome = 'ignored' WHERE id = event->>'id';
        RETURN 'ignored';
    END IF;
    -- the re-fetched object must be the event's subscription; without one, the event's own object
    IF p_subscription IS NOT NULL AND p_subscription->>'id' = sub_id THEN
        sub := p_subscription;
        state_at := p_fetched_at;
    ELSIF event->>'type' LIKE 'customer.subscription.%' THEN
        sub := obj;
        state_at := to_timestamp((event->>'created')::bigint);
    END IF;

    -- the owner: the user id our Checkout put in client_reference_id/metadata (never the e-mail), else the
    -- row that already holds this customer or subscription
    IF owner_ref IS NULL OR owner_ref !~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' THEN
        SELECT s.user_id::text INTO owner_ref FROM public.subscriptions s
         WHERE s.stripe_subscription_id = sub_id OR s.stripe_customer_id = customer
         ORDER BY (s.stripe_subscription_id = sub_id) DESC LIMIT 1;
    END IF;
    SELECT u.id, u.tenant_id INTO owner FROM public.users u WHERE u.id = owner_ref::uuid AND u.role = 'owner';
    IF owner.id IS NULL THEN
        UPDATE app.stripe_events SET outcome = 'unmatched' WHERE id = event->>'id';
        RETURN 'unmatched';
    END IF;

    -- the same locks as the device-limit trigger, for every user of the tenant (in id order), so no device
    -- insert straddles the change
    PERFORM pg_advisory_xact_lock(hashtextextended('device_limit:' || u.id::text, 0))
       FROM public.users u WHERE u.tenant_id = owner.tenant_id ORDER BY u.id;
    SELECT s.* INTO current FROM public.subscriptions s WHERE s.user_id = owner.id FOR UPDATE;
    IF current.id IS NULL THEN
        INSERT INTO public.subscriptions (tenant_id, user_id, tier, status, max_devices)
             VALUES (owner.tenant_id, owner.id, 'free', 'active', cfg.free_max_devices);
        SELECT s.* INTO current FROM public.subscriptions s WHERE s.user_id = owner.id FOR UPDATE;
    END IF;
    UPDATE app.stripe_events SET user_id = owner.id WHERE id = event->>'id';

    IF sub IS NULL THEN
        -- a completed Checkout whose subscription could not be fetched: remember the customer only
        UPDATE public.subscriptions SET stripe_customer_id = coalesce(customer, stripe_customer_id)
         WHERE id = current.id;
        UPDATE app.stripe_events SET outcome = 'applied' WHERE id = event->>'id';
        RETURN 'applied';
    END IF;
    new_status := left(coalesce(sub->>'status', 'unknown'), 32);
    IF current.stripe_state_at IS NOT NULL AND current.stripe_subscription_id = sub_id
       AND state_at < current.stripe_state_at THEN
        UPDATE app.stripe_events SET outcome = 'stale' WHERE id = event->>'id';
        RETURN 'stale';
    END IF;
    -- an old subscription ending must not take away a newer, live one
    IF current.stripe_subscription_id IS NOT NULL AND current.stripe_subscription_id <> sub_id
       AND current.status IN ('active', 'trialing', 'past_due')
       AND new_status NOT IN ('active', 'trialing', 'past_due') THEN
        UPDATE app.stripe_events SET outcome = 'stale' WHERE id = event->>'id';
        RETURN 'stale';
    END IF;

    SELECT p.tier, p.max_devices INTO price FROM app.billing_prices p
     WHERE p.price_id = sub->'items'->'data'->0->'price'->>'id';
    action := CASE WHEN current.stripe_subscription_id IS DISTINCT FROM sub_id THEN 'subscription_created'
                   ELSE 'subscription_updated' END;
    UPDATE public.subscriptions s SET
           stripe_customer_id     = coalesce(sub->>'customer', customer, s.stripe_customer_id),
           stripe_subscription_id = sub_id,
           stripe_price_id        = left(sub->'items'->'data'->0->'price'->>'id', 255),
           tier                   = coalesce(price.tier, 'free'),
           max_devices            = coalesce(price.max_devices, cfg.free_max_devices),
           status                 = new_status,
           current_period_start   = to_timestamp(coalesce(sub->>'current_period_start',
                                                          sub->'items'->'data'->0->>'current_period_start')::bigint),
           current_period_end     = to_timestamp(coalesce(sub->>'current_period_end',
                                                          sub->'items'->'data'->0->>'current_period_end')::bigint),
           cancel_at_period_end   = coalesce((sub->>'cancel_at_period_end')::boolean, false),
           canceled_at            = to_timestamp((sub->>'canceled_at')::bigint),
           trial_start            = to_timestamp((sub->>'trial_start')::bigint),
           trial_end              = to_timestamp((sub->>'trial_end')::bigint),
           past_due_since         = CASE WHEN new_status <> 'past_due' THEN NULL
                                         WHEN s.status = 'past_due' THEN coalesce(s.past_due_since, now())
                                         ELSE now() END,
           stripe_state_at        = state_at
     WHERE s.id = current.id;
    IF action = 'subscription_created' OR current.status IS DISTINCT FROM new_status
       OR current.tier IS DISTINCT FROM coalesce(price.tier, 'free')
       OR current.cancel_at_period_end IS DISTINCT FROM coalesce((sub->>'cancel_at_period_end')::boolean, false) THEN
        INSERT INTO public.activity_logs (tenant_id, user_id, action, details, source)
             VALUES (owner.tenant_id, owner.id, action,
                     jsonb_build_object('tier', coalesce(price.tier::text, 'free'), 'status', new_status,
                                        'maxDevices', coalesce(price.max_devices, cfg.free_max_devices),
                                        'cancelAtPeriodEnd', coalesce((sub->>'cancel_at_period_end')::boolean, false),
                                        'stripeEvent', left(event->>'id', 255)),
                     'system');
    END IF;
    UPDATE app.stripe_events SET outcome = 'applied' WHERE id = event->>'id';
    RETURN 'applied';
END
$$;
ALTER FUNCTION app.apply_stripe_event(text, text, jsonb, timestamptz) OWNER TO ${definer_role};
REVOKE EXECUTE ON FUNCTION app.apply_stripe_event(text, text, jsonb, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.apply_stripe_event(text, text, jsonb, timestamptz) TO ${app_role};
