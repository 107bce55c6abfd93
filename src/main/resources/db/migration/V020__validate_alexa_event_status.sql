-- Validates the check V019 added NOT VALID: a scan under SHARE UPDATE EXCLUSIVE, which lets reads and writes
-- of the outbox go on.
SET lock_timeout = '5s';
ALTER TABLE alexa_event_outbox VALIDATE CONSTRAINT alexa_event_outbox_status_check;
