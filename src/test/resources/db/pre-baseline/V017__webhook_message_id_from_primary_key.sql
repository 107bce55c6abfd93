-- msg_id (the webhook-id header) is always derived from the delivery's primary key ('msg_' + the uuid's hex),
-- so the primary key already makes it unique: a CHECK states the derivation and the unique index goes. It
-- was written on every staged message and on every non-HOT update of one, and nothing looks it up.
ALTER TABLE webhook_deliveries
    ADD CONSTRAINT webhook_deliveries_msg_id_from_id CHECK (msg_id = 'msg_' || replace(id::text, '-', ''));
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_msg_id_key;
