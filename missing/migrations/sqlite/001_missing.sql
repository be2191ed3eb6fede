-- Missing-person notices (寻人启事). Times are microseconds since the epoch (UTC).
CREATE TABLE missing_notices (
	id              TEXT PRIMARY KEY,
	citizen_id      TEXT NOT NULL,
	state           TEXT NOT NULL,
	center_code     TEXT NOT NULL,
	unit_code       TEXT NOT NULL,
	unit_phone      TEXT NOT NULL,
	case_number     TEXT NOT NULL,
	person_name     TEXT NOT NULL,
	sex             TEXT NOT NULL,
	age             INTEGER NOT NULL,
	birth_date      TEXT NOT NULL DEFAULT '',
	height_cm       INTEGER NOT NULL DEFAULT 0,
	build           TEXT NOT NULL DEFAULT '',
	features        TEXT NOT NULL DEFAULT '',
	clothing        TEXT NOT NULL DEFAULT '',
	last_seen_at    BIGINT NOT NULL,
	lat             REAL NOT NULL,
	lng             REAL NOT NULL,
	accuracy_m      REAL NOT NULL DEFAULT 0,
	place           TEXT NOT NULL,
	place_public    TEXT NOT NULL DEFAULT '',
	city_code       TEXT NOT NULL,
	county_code     TEXT NOT NULL DEFAULT '',
	initiator_name  TEXT NOT NULL DEFAULT '',
	relation        TEXT NOT NULL,
	contact_phone   TEXT NOT NULL,
	home_address    TEXT NOT NULL DEFAULT '',
	created_at      BIGINT NOT NULL,
	updated_at      BIGINT NOT NULL,
	verifier        TEXT NOT NULL DEFAULT '',
	checks          TEXT NOT NULL DEFAULT '{}',
	reject_reason   TEXT NOT NULL DEFAULT '',
	published_at    BIGINT NOT NULL DEFAULT 0,
	closed_at       BIGINT NOT NULL DEFAULT 0,
	outcome         TEXT NOT NULL DEFAULT '',
	closure_notice  TEXT NOT NULL DEFAULT '',
	cover_sha       TEXT NOT NULL DEFAULT '',
	alert_radius_km INTEGER NOT NULL DEFAULT 0,
	next_ring_at    BIGINT NOT NULL DEFAULT 0,
	sightings       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX missing_notices_center ON missing_notices (center_code, state, created_at);
CREATE INDEX missing_notices_citizen ON missing_notices (citizen_id, created_at);
CREATE INDEX missing_notices_feed ON missing_notices (state, published_at, id);
CREATE INDEX missing_notices_feed_city ON missing_notices (state, city_code, published_at, id);
CREATE INDEX missing_notices_rings ON missing_notices (next_ring_at) WHERE next_ring_at > 0;
-- One open notice per case acceptance number.
CREATE UNIQUE INDEX missing_notices_case ON missing_notices (case_number) WHERE state IN ('submitted', 'verifying', 'published');
CREATE TABLE missing_media (
	notice_id    TEXT NOT NULL REFERENCES missing_notices(id),
	sha256       TEXT NOT NULL,
	kind         TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size         BIGINT NOT NULL,
	added_at     BIGINT NOT NULL,
	PRIMARY KEY (notice_id, sha256)
);
CREATE TABLE missing_sightings (
	id           TEXT PRIMARY KEY,
	notice_id    TEXT NOT NULL REFERENCES missing_notices(id),
	center_code  TEXT NOT NULL,
	citizen_id   TEXT NOT NULL DEFAULT '',
	phone        TEXT NOT NULL DEFAULT '',
	anonymous    INTEGER NOT NULL DEFAULT 0,
	body         TEXT NOT NULL,
	seen_at      BIGINT NOT NULL DEFAULT 0,
	has_position INTEGER NOT NULL DEFAULT 0,
	lat          REAL NOT NULL DEFAULT 0,
	lng          REAL NOT NULL DEFAULT 0,
	accuracy_m   REAL NOT NULL DEFAULT 0,
	photo_sha    TEXT NOT NULL DEFAULT '',
	photo_type   TEXT NOT NULL DEFAULT '',
	status       TEXT NOT NULL DEFAULT 'new',
	triage_note  TEXT NOT NULL DEFAULT '',
	triaged_by   TEXT NOT NULL DEFAULT '',
	triaged_at   BIGINT NOT NULL DEFAULT 0,
	request_ip   TEXT NOT NULL DEFAULT '',
	created_at   BIGINT NOT NULL
);
CREATE INDEX missing_sightings_notice ON missing_sightings (notice_id, created_at);
-- The event log: the cursor of the console's live feed, the initiator's
-- progress and the alert inbox (alert and closure rows are read by every
-- citizen whose area lies in their ring: fan-out on read). AUTOINCREMENT:
-- a seq is never reused.
CREATE TABLE missing_events (
	seq            INTEGER PRIMARY KEY AUTOINCREMENT,
	notice_id      TEXT NOT NULL,
	center_code    TEXT NOT NULL,
	citizen_id     TEXT NOT NULL DEFAULT '',
	kind           TEXT NOT NULL,
	radius_km      INTEGER NOT NULL DEFAULT 0,
	prev_radius_km INTEGER NOT NULL DEFAULT 0,
	lat            REAL NOT NULL DEFAULT 0,
	lng            REAL NOT NULL DEFAULT 0,
	at             BIGINT NOT NULL,
	detail         TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX missing_events_center ON missing_events (center_code, seq);
CREATE INDEX missing_events_citizen ON missing_events (citizen_id, seq);
CREATE INDEX missing_events_notice ON missing_events (notice_id, seq);
CREATE INDEX missing_events_kind ON missing_events (kind, seq);
-- Area alert opt-ins: a coarse area (a county's label point or a point
-- rounded to 0.1°), never a track.
CREATE TABLE missing_optins (
	citizen_id  TEXT PRIMARY KEY,
	enabled     INTEGER NOT NULL,
	county_code TEXT NOT NULL DEFAULT '',
	lat         REAL NOT NULL,
	lng         REAL NOT NULL,
	optin_at    BIGINT NOT NULL,
	updated_at  BIGINT NOT NULL,
	read_upto   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX missing_optins_updated ON missing_optins (updated_at);
