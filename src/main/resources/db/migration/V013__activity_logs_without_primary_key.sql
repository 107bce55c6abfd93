-- Issue 14, the write path: activity_logs loses its primary key (id, created_at). No query reads an entry by
-- its id (the feed, its filters and its cursor go by tenant_time and device_time, retention drops whole
-- partitions, account deletion deletes by tenant), so the index only cost every change a third btree insert,
-- at a random place (gen_random_uuid()): on a large log a page read and, after each checkpoint, a full-page
-- image in the WAL. Ids stay unique in practice (random UUIDs) and are still what the API names an entry by.
-- Measured: docs/decisions.md, "The write path in one round trip (issue 14)".
-- Hot table (docs/development.md): dropping the constraint and its index is a catalog change and a file
-- unlink, but it takes ACCESS EXCLUSIVE on activity_logs and its partitions for that moment; fail fast rather
-- than queue every change behind a long transaction.
SET lock_timeout = '5s';

ALTER TABLE activity_logs DROP CONSTRAINT activity_logs_pkey;
