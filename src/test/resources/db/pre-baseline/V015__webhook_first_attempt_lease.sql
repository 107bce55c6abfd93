-- A webhook message's first attempt runs in the process that staged it, right after the dispatch commits,
-- instead of as a db-scheduler task (which cost an insert, a pick, a read and a delete per message).
-- lease_until is the crash guard: set when the message is staged, cleared when the first attempt is
-- recorded. A message whose lease has run out (its process died, or shut down before sending) is handed to
-- db-scheduler by the lease sweep every instance runs, which then sends it like any retry. Retries stay db-scheduler tasks.

ALTER TABLE webhook_deliveries ADD COLUMN lease_until timestamptz;
COMMENT ON COLUMN webhook_deliveries.lease_until IS
    'first attempt leased to the staging process until then; NULL once recorded or handed to db-scheduler';
CREATE INDEX webhook_deliveries_lease_idx ON webhook_deliveries (lease_until) WHERE lease_until IS NOT NULL;

GRANT UPDATE (lease_until) ON webhook_deliveries TO ${app_role};

-- Expired leases across tenants (only ids and owners: the handover itself runs under the owner's context).
GRANT SELECT (tenant_id, user_id, lease_until) ON webhook_deliveries TO ${definer_role};

CREATE FUNCTION app.webhook_deliveries_lease_expired(p_limit integer)
    RETURNS TABLE (id uuid, tenant_id uuid, user_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
    AS $$
    SELECT d.id, d.tenant_id, d.user_id
      FROM public.webhook_deliveries d
     WHERE d.lease_until < now()
     ORDER BY d.lease_until
     LIMIT least(greatest(p_limit, 1), 1000)
$$;
ALTER FUNCTION app.webhook_deliveries_lease_expired(integer) OWNER TO ${definer_role};
REVOKE EXECUTE ON FUNCTION app.webhook_deliveries_lease_expired(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.webhook_deliveries_lease_expired(integer) TO ${app_role};
