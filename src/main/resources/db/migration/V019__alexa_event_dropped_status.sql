-- A DeleteReport there is no Alexa link to send with is finished as 'dropped' (kept in the history, counted in
-- the diagnostics and in virtdevice.alexa.events{outcome=dropped}) instead of being deleted unseen. The new
-- check is added NOT VALID (metadata only, a moment's lock); the next migration validates it without
-- blocking writes. lock_timeout: a long transaction on the outbox makes this fail (and be retried) rather than
-- queue every sender behind it.
SET lock_timeout = '5s';
ALTER TABLE alexa_event_outbox DROP CONSTRAINT alexa_event_outbox_status_check,
    ADD CONSTRAINT alexa_event_outbox_status_check
        CHECK (status IN ('pending', 'sent', 'failed', 'expired', 'dropped')) NOT VALID;
