CREATE TABLE tip_capture_tokens (
	id         TEXT PRIMARY KEY,
	owner_ref  TEXT NOT NULL,
	issued_at  BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	used_at    BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX tip_capture_tokens_expiry ON tip_capture_tokens (expires_at);
CREATE TABLE tips (
	id               TEXT PRIMARY KEY,
	owner_ref        TEXT NOT NULL,
	category         TEXT NOT NULL,
	description      TEXT NOT NULL,
	lat              DOUBLE PRECISION NOT NULL,
	lng              DOUBLE PRECISION NOT NULL,
	accuracy_m       DOUBLE PRECISION NOT NULL,
	center_code      TEXT NOT NULL,
	routed_center    TEXT NOT NULL,
	identity_key_id  TEXT NOT NULL DEFAULT '',
	identity_dek     TEXT NOT NULL DEFAULT '',
	identity_ct      TEXT NOT NULL DEFAULT '',
	state            TEXT NOT NULL,
	result           TEXT NOT NULL DEFAULT '',
	result_note      TEXT NOT NULL DEFAULT '',
	handler_id       TEXT NOT NULL DEFAULT '',
	handler_username TEXT NOT NULL DEFAULT '',
	flags            TEXT NOT NULL DEFAULT '[]',
	desc_hash        TEXT NOT NULL,
	created_at       BIGINT NOT NULL,
	assigned_at      BIGINT NOT NULL DEFAULT 0,
	closed_at        BIGINT NOT NULL DEFAULT 0,
	updated_at       BIGINT NOT NULL,
	owner_seen_msg   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX tips_center ON tips (center_code, state, created_at);
CREATE INDEX tips_owner ON tips (owner_ref, created_at);
CREATE INDEX tips_handler ON tips (handler_id, state);
CREATE TABLE tip_media (
	id               TEXT PRIMARY KEY,
	owner_ref        TEXT NOT NULL,
	tip_id           TEXT NOT NULL DEFAULT '',
	kind             TEXT NOT NULL,
	mime             TEXT NOT NULL,
	sha256           TEXT NOT NULL,
	size             BIGINT NOT NULL,
	captured_at      BIGINT NOT NULL,
	lat              DOUBLE PRECISION NOT NULL,
	lng              DOUBLE PRECISION NOT NULL,
	accuracy_m       DOUBLE PRECISION NOT NULL,
	token_id         TEXT NOT NULL UNIQUE,
	uploaded_at      BIGINT NOT NULL,
	attestation      TEXT NOT NULL,
	attestation_hash TEXT NOT NULL,
	audit_seq        BIGINT NOT NULL
);
CREATE INDEX tip_media_tip ON tip_media (tip_id);
CREATE INDEX tip_media_owner ON tip_media (owner_ref, sha256);
CREATE TABLE tip_messages (
	id        INTEGER PRIMARY KEY AUTOINCREMENT,
	tip_id    TEXT NOT NULL REFERENCES tips(id),
	sender    TEXT NOT NULL,
	officer_id TEXT NOT NULL DEFAULT '',
	text      TEXT NOT NULL,
	at        BIGINT NOT NULL
);
CREATE INDEX tip_messages_tip ON tip_messages (tip_id, id);
