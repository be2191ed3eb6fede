-- Which node holds each live media room (one process serves an alarm's
-- SFU room; the others forward the signalling socket to it). A claim whose
-- heartbeat is older than the pin TTL belongs to a dead node and is taken
-- over. Times are Unix microseconds, as elsewhere in media.
CREATE TABLE media_rooms (
	alarm_id     TEXT   PRIMARY KEY,
	node_id      TEXT   NOT NULL,
	node_url     TEXT   NOT NULL,
	claimed_at   BIGINT NOT NULL,
	heartbeat_at BIGINT NOT NULL
);
CREATE INDEX media_rooms_node ON media_rooms (node_id);
