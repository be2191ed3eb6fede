CREATE TABLE centers (
	code        TEXT PRIMARY KEY,
	name        TEXT NOT NULL,
	level       TEXT NOT NULL,
	parent_code TEXT NOT NULL,
	active      INTEGER NOT NULL DEFAULT 0,
	phone       TEXT NOT NULL DEFAULT '',
	updated_at  BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE citizens (
	id         TEXT PRIMARY KEY,
	phone      TEXT NOT NULL UNIQUE,
	created_at BIGINT NOT NULL,
	last_login BIGINT NOT NULL DEFAULT 0,
	deleted_at BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE otp_codes (
	phone      TEXT PRIMARY KEY,
	code_hash  TEXT NOT NULL,
	sent_at    BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	attempts   INTEGER NOT NULL DEFAULT 0,
	request_ip TEXT NOT NULL,
	sends_day  INTEGER NOT NULL DEFAULT 1,
	day        TEXT NOT NULL DEFAULT ''
);
CREATE TABLE officers (
	id             TEXT PRIMARY KEY,
	username       TEXT NOT NULL UNIQUE,
	name           TEXT NOT NULL,
	role           TEXT NOT NULL,
	center_code    TEXT NOT NULL REFERENCES centers(code),
	password_hash  TEXT NOT NULL,
	totp_secret    TEXT NOT NULL DEFAULT '',
	totp_enabled   INTEGER NOT NULL DEFAULT 0,
	totp_last_step BIGINT NOT NULL DEFAULT 0,
	disabled       INTEGER NOT NULL DEFAULT 0,
	failed_count   INTEGER NOT NULL DEFAULT 0,
	locked_until   BIGINT NOT NULL DEFAULT 0,
	created_at     BIGINT NOT NULL
);
CREATE INDEX officers_center ON officers (center_code, role);
CREATE TABLE sessions (
	token_hash  TEXT PRIMARY KEY,
	kind        TEXT NOT NULL,
	subject_id  TEXT NOT NULL,
	created_at  BIGINT NOT NULL,
	expires_at  BIGINT NOT NULL,
	revoked_at  BIGINT NOT NULL DEFAULT 0,
	signin_ip   TEXT NOT NULL,
	user_agent  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_subject ON sessions (kind, subject_id);
