-- Change-event delivery (issue 4).
--  * Readers outside the change's transaction (webhook dispatch, live streams) need the device's name and
--    type at the time of the change: a device.deleted event outlives its device.
--  * The live-update wake-up is sent after commit by devices.DeviceEventNotifier, not by a trigger (D-15).

ALTER TABLE device_events
    ADD COLUMN device_name varchar(100),
    ADD COLUMN device_type varchar(32);

-- Resuming a live stream reads "this user's events after seq N".
CREATE INDEX device_events_user_seq_idx ON device_events (user_id, seq);
