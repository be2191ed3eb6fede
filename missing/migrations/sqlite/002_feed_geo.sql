-- The feed's distance filter: a latitude band first (a 50 km circle is a
-- band of 0.9°, a seventh of Hebei), then newest first within it. Without
-- it PostgreSQL walked the published_at index and filtered by position.
CREATE INDEX missing_notices_geo ON missing_notices (state, lat, lng);
