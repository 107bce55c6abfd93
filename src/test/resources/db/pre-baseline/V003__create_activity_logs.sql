-- Activity log, partitioned by month from the first migration (D-13, D-14, D-20).
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
