-- Fair share of the skill's Event Gateway budget (issue 16 item 3): how often an event waited for its user's
-- share (or the skill's) before it was sent, for the routine-fire diagnostics. A constant default: instant,
-- no rewrite; lock_timeout so a long transaction on the outbox makes this fail (and be retried) rather than
-- queue every sender behind it.
SET lock_timeout = '5s';
ALTER TABLE alexa_event_outbox ADD COLUMN delayed integer NOT NULL DEFAULT 0;
COMMENT ON COLUMN alexa_event_outbox.delayed IS
    'times the event was held back for its user''s fair share of the gateway budget (it keeps coalescing meanwhile)';
