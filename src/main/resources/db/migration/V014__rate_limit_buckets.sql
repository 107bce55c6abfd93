-- Published rate limits (issue 16): the token buckets of Bucket4j's PostgreSQL proxy manager
-- (SELECT ... FOR UPDATE), one row per limit, quota and key (an API key's id, a device's id, a user's id, an
-- email address's hash, an OAuth client id, ...). state is Bucket4j's serialized bucket; expires_at (epoch
-- milliseconds) is when the bucket would be full again, after which the row is deleted (rate-limit purge).
--
-- UNLOGGED: a bucket is worth nothing after a crash (it would only be full again), and without WAL the
-- commit of each check does not wait for a disk flush (docs/decisions.md, "Rate limits: where the buckets
-- live"). Not replicated to standbys either, which is also fine: a promoted standby starts with full buckets.
--
-- No row-level security: a row is no tenant's data (opaque keys and token counts, no names, no values), and
-- several limits have no tenant at all (sign-up and reset mails, OAuth token requests per client). The app
-- role reads and writes the table directly, as Bucket4j does; no other role is granted anything.
CREATE UNLOGGED TABLE rate_limit_buckets (
    id         varchar(200) PRIMARY KEY,
    state      bytea,
    expires_at bigint
);
CREATE INDEX rate_limit_buckets_expires_idx ON rate_limit_buckets (expires_at);

GRANT SELECT, INSERT, UPDATE, DELETE ON rate_limit_buckets TO ${app_role};
