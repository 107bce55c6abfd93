-- Change-event delivery (issue 4).
--  * Readers outside the change's transaction (webhook dispatch, live streams) need the device's name and
--    type at the time of the change: a device.deleted event outlives its device.
--  * No NOTIFY trigger in the write transaction (D-15): a transaction that NOTIFYs holds a database-wide
--    lock from its commit until its WAL flush, so every device write would commit one at a time. The
--    wake-up (ids only, including tenant_id) is sent after commit by devices.DeviceEventNotifier. Where
--    V002 still created the trigger, it is dropped here (a no-op where it never existed).

ALTER TABLE device_events
    ADD COLUMN device_name varchar(100),
    ADD COLUMN device_type varchar(32);

DROP TRIGGER IF EXISTS device_events_notify ON device_events;
DROP FUNCTION IF EXISTS app.notify_device_event();

-- Resuming a live stream reads "this user's events after seq N".
CREATE INDEX device_events_user_seq_idx ON device_events (user_id, seq);
