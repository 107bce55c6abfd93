-- Momentary ("pulse") contact and motion sensors (issue 10, part 6): a device option that turns every
-- DETECTED into a pulse, DETECTED now and NOT_DETECTED pulse_seconds later, so the same trigger fired
-- twice fires an Alexa routine twice. pulse_reset_at is the pending reset of the current pulse (null when
-- none is pending); the devices.pulse-reset task reads it under the device's row lock, so a reset that
-- runs twice, late or after a newer pulse does nothing wrong.
--
-- devices is a hot table: nullable columns and columns with constant defaults are added without a
-- rewrite; the range check is added NOT VALID so no scan runs under the exclusive lock (every existing
-- row has the default 10, and new writes are checked at once).
SET lock_timeout = '5s';

ALTER TABLE devices
    ADD COLUMN momentary      boolean NOT NULL DEFAULT false,
    ADD COLUMN pulse_seconds  integer NOT NULL DEFAULT 10,
    ADD COLUMN pulse_reset_at timestamptz;
ALTER TABLE devices
    ADD CONSTRAINT devices_pulse_seconds_range CHECK (pulse_seconds BETWEEN 1 AND 3600) NOT VALID;

COMMENT ON COLUMN devices.momentary IS
    'contact and motion sensors: every DETECTED is a pulse that resets to NOT_DETECTED after pulse_seconds';
COMMENT ON COLUMN devices.pulse_seconds IS 'how long a pulse stays DETECTED (1-3600 s)';
COMMENT ON COLUMN devices.pulse_reset_at IS 'when the current pulse resets to NOT_DETECTED; null: none pending';

GRANT UPDATE (momentary, pulse_seconds, pulse_reset_at) ON devices TO ${app_role};
