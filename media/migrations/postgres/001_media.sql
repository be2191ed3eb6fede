CREATE TABLE media_segments (
	alarm_id    TEXT    NOT NULL,
	track       TEXT    NOT NULL,
	seq         INTEGER NOT NULL,
	started_at  BIGINT  NOT NULL,
	ended_at    BIGINT  NOT NULL,
	sha256      TEXT    NOT NULL,
	size        BIGINT  NOT NULL,
	codecs      TEXT    NOT NULL,
	stored_at   BIGINT  NOT NULL,
	PRIMARY KEY (alarm_id, track, seq)
);
CREATE TABLE media_snapshots (
	id          TEXT    PRIMARY KEY,
	alarm_id    TEXT    NOT NULL,
	sha256      TEXT    NOT NULL,
	size        BIGINT  NOT NULL,
	content_type TEXT   NOT NULL,
	taken_by    TEXT    NOT NULL,
	taken_at    BIGINT  NOT NULL
);
CREATE INDEX media_snapshots_alarm ON media_snapshots (alarm_id, taken_at);
CREATE TABLE media_links (
	token_hash   TEXT    PRIMARY KEY,
	alarm_id     TEXT    NOT NULL,
	phone        TEXT    NOT NULL,
	created_by   TEXT    NOT NULL,
	created_at   BIGINT  NOT NULL,
	expires_at   BIGINT  NOT NULL,
	used_at      BIGINT,
	session_hash TEXT,
	session_expires_at BIGINT
);
CREATE INDEX media_links_alarm ON media_links (alarm_id, created_at);
CREATE UNIQUE INDEX media_links_session ON media_links (session_hash);
