-- Crash recovery without waiting (issue 9).
--
-- 1. A first-attempt lease names the process holding it. lease_owner is a number for which that process
--    holds a PostgreSQL session advisory lock, (1447319368 = 'VDWH', lease_owner), on a dedicated
--    connection for as long as it runs. The lock goes with the session: when the process dies (kill -9, a
--    crash) its messages are orphaned at once, and the lease sweep (of any instance, its successor
--    included) hands them over without waiting for lease_until. NULL (rows staged before this migration,
--    or while the lock connection was down) falls back to lease_until alone.
-- 2. The delivery's primary key, and so msg_id (the webhook-id header, V017), is derived from
--    (webhook_id, event_id) by the staging statement (WebhookDeliveryRepository): a message staged again after
--    a database crash lost an asynchronous commit keeps its webhook-id, so receivers can deduplicate.

ALTER TABLE webhook_deliveries ADD COLUMN lease_owner integer;
COMMENT ON COLUMN webhook_deliveries.lease_owner IS
    'the process holding the first-attempt lease: it holds advisory lock (1447319368, lease_owner) while alive';
COMMENT ON COLUMN webhook_deliveries.msg_id IS
    'webhook-id header: msg_ + hex of id; for event messages id = md5(webhook_id:event_id), stable across re-staging';

GRANT SELECT (lease_owner) ON webhook_deliveries TO ${definer_role};

-- Expired leases, and leases whose owner no longer holds its lock, across tenants (only ids and owners: the
-- hand-over itself runs under the owner's context).
CREATE OR REPLACE FUNCTION app.webhook_deliveries_lease_expired(p_limit integer)
    RETURNS TABLE (id uuid, tenant_id uuid, user_id uuid)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
    AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH live AS (
        SELECT l.objid
          FROM pg_catalog.pg_locks l
         WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 1447319368 AND l.objsubid = 2
           AND l.database = (SELECT b.oid FROM pg_catalog.pg_database b
                              WHERE b.datname = pg_catalog.current_database()))
    SELECT d.id, d.tenant_id, d.user_id
      FROM public.webhook_deliveries d
     WHERE d.lease_until IS NOT NULL
       AND (d.lease_until < now()
            OR (d.lease_owner IS NOT NULL AND NOT EXISTS (
                    SELECT 1 FROM live WHERE live.objid = d.lease_owner::oid)))
     ORDER BY d.lease_until
     LIMIT least(greatest(p_limit, 1), 1000);
END
$$;
