-- The manifest sweep looks at recently stored segments of alarms that have
-- no manifest yet.
CREATE INDEX media_segments_stored ON media_segments (stored_at);
