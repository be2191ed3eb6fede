-- A client's own id for a chat message, so a resend after a lost reply
-- stores the message once (unique per alarm and sender when given).
ALTER TABLE alarm_messages ADD COLUMN client_id TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX alarm_messages_client ON alarm_messages (alarm_id, sender, client_id) WHERE client_id <> '';
