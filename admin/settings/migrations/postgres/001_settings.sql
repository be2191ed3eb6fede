-- Every saved version of the platform settings; the newest row is in force.
-- Rows are never updated, so the history shows who changed what and when.
CREATE TABLE settings_versions (
	version  INTEGER PRIMARY KEY,
	data     TEXT    NOT NULL,
	saved_at BIGINT  NOT NULL,
	saved_by TEXT    NOT NULL,
	note     TEXT    NOT NULL DEFAULT ''
);
