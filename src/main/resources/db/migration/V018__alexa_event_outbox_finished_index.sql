-- The index app.purge_alexa_events walks (finished rows by age, across users). Built concurrently, outside a
-- transaction (V018__…sql.conf): the outbox is written by every change an Alexa-linked user makes, and a plain
-- CREATE INDEX would block those writes for the whole build; a concurrent build only waits for the
-- transactions already running (blocking nobody meanwhile), hence no lock timeout. Flyway's own lock must
-- then not be a transaction (spring.flyway.postgresql.transactional-lock=false), or the build waits for it
-- forever. If the build fails half-way it leaves an INVALID index: drop it
-- (DROP INDEX CONCURRENTLY alexa_event_outbox_finished_idx) and start again.
SET lock_timeout = 0;
CREATE INDEX CONCURRENTLY alexa_event_outbox_finished_idx ON alexa_event_outbox (finished_at)
    WHERE status <> 'pending';
