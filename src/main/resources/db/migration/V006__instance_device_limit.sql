-- The device limit of an instance without billing (issue 9, self-hosting). One row, written at every
-- start-up by the owner role (the Flyway AFTER_MIGRATE callback DeviceLimits) from configuration:
--   mode 'instance': every user may have up to max_devices devices (default 300 = Alexa's endpoint limit);
--   mode 'plans':    each user's subscription decides (the SaaS: free plan 2; Stripe plans later).
-- The app role may read it but never change it, so it cannot raise its own limit; the limit stays
-- enforced by app.check_device_limit() on every insert, race-free as before (D-08).
CREATE TABLE app.instance_limits (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    mode        text NOT NULL DEFAULT 'instance' CHECK (mode IN ('instance', 'plans')),
    max_devices integer NOT NULL DEFAULT 300 CHECK (max_devices BETWEEN 0 AND 100000),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO app.instance_limits DEFAULT VALUES;
GRANT SELECT ON app.instance_limits TO ${app_role}, ${definer_role};

CREATE OR REPLACE FUNCTION app.check_device_limit() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    current_count integer;
    max_allowed   integer;
    limits        record;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('device_limit:' || NEW.user_id::text, 0));
    SELECT l.mode, l.max_devices INTO limits FROM app.instance_limits l;
    IF limits.mode = 'instance' THEN
        max_allowed := limits.max_devices;
    ELSE
        SELECT s.max_devices INTO max_allowed
          FROM public.subscriptions s
         WHERE s.user_id = NEW.user_id AND s.status IN ('active', 'trialing');
        IF max_allowed IS NULL THEN
            max_allowed := 2;
        END IF;
    END IF;
    SELECT count(*) INTO current_count FROM public.devices d WHERE d.user_id = NEW.user_id;
    IF current_count >= max_allowed THEN
        RAISE EXCEPTION 'device limit reached: your plan allows % devices', max_allowed
            USING ERRCODE = 'VD001', DETAIL = max_allowed::text;
    END IF;
    RETURN NEW;
END
$$;
