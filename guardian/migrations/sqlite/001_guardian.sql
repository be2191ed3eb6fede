-- Guardians (亲友互助): links between a traveller and the people who guard
-- them, trips, their track and media, and the alarms raised from them.
-- Times are microseconds since the Unix epoch (UTC); booleans 0/1.

-- A link: owner (the traveller) invited guardian; state pending, accepted,
-- declined or revoked. One row per pair; inviting again reuses it.
CREATE TABLE guardian_links (
    id             TEXT    PRIMARY KEY,
    owner_id       TEXT    NOT NULL,
    owner_phone    TEXT    NOT NULL,
    guardian_id    TEXT    NOT NULL,
    guardian_phone TEXT    NOT NULL,
    label          TEXT    NOT NULL DEFAULT '',
    state          TEXT    NOT NULL,
    is_default     INTEGER NOT NULL DEFAULT 0,
    created_at     BIGINT  NOT NULL,
    updated_at     BIGINT  NOT NULL,
    UNIQUE (owner_id, guardian_id)
);
CREATE INDEX guardian_links_guardian ON guardian_links (guardian_id, state);

-- The duress PIN, hashed (argon2id with a per-user salt).
CREATE TABLE guardian_pins (
    owner_id   TEXT   PRIMARY KEY,
    salt       TEXT   NOT NULL,
    hash       TEXT   NOT NULL,
    updated_at BIGINT NOT NULL
);

-- A trip. rev is the trip's change counter: every change bumps it inside
-- its transaction (the row lock orders writers), and each row a change
-- creates carries that rev, so "rev > cursor" is a gap-free live cursor.
CREATE TABLE trips (
    id             TEXT    PRIMARY KEY,
    owner_id       TEXT    NOT NULL,
    owner_phone    TEXT    NOT NULL,
    mode           TEXT    NOT NULL,
    note           TEXT    NOT NULL DEFAULT '',
    destination    TEXT    NOT NULL DEFAULT '',
    expected_at    BIGINT  NOT NULL DEFAULT 0,
    state          TEXT    NOT NULL,
    end_kind       TEXT    NOT NULL DEFAULT '',
    started_at     BIGINT  NOT NULL,
    ended_at       BIGINT  NOT NULL DEFAULT 0,
    rev            BIGINT  NOT NULL DEFAULT 1,
    last_seen_at   BIGINT  NOT NULL,
    last_at        BIGINT  NOT NULL DEFAULT 0,
    last_lat       REAL,
    last_lng       REAL,
    last_acc       REAL,
    overdue_stage  INTEGER NOT NULL DEFAULT 0,
    prompted_at    BIGINT  NOT NULL DEFAULT 0,
    silent_stage   INTEGER NOT NULL DEFAULT 0,
    duress_pending INTEGER NOT NULL DEFAULT 0,
    held           INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX trips_one_active ON trips (owner_id) WHERE state = 'active';
CREATE INDEX trips_owner ON trips (owner_id, started_at);
CREATE INDEX trips_state ON trips (state, ended_at);

-- The guardians a trip names (a snapshot of accepted links at start).
CREATE TABLE trip_guardians (
    trip_id     TEXT NOT NULL REFERENCES trips (id) ON DELETE CASCADE,
    guardian_id TEXT NOT NULL,
    link_id     TEXT NOT NULL,
    PRIMARY KEY (trip_id, guardian_id)
);
CREATE INDEX trip_guardians_guardian ON trip_guardians (guardian_id);

-- Track points; seq is the client's sequence number (idempotency key).
CREATE TABLE trip_points (
    trip_id    TEXT   NOT NULL REFERENCES trips (id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    rev        BIGINT NOT NULL,
    lat        REAL   NOT NULL,
    lng        REAL   NOT NULL,
    accuracy_m REAL   NOT NULL,
    at         BIGINT NOT NULL,
    PRIMARY KEY (trip_id, seq)
) WITHOUT ROWID;
CREATE INDEX trip_points_rev ON trip_points (trip_id, rev);

CREATE TABLE trip_media (
    id          TEXT   PRIMARY KEY,
    trip_id     TEXT   NOT NULL REFERENCES trips (id) ON DELETE CASCADE,
    rev         BIGINT NOT NULL,
    client_id   TEXT   NOT NULL,
    kind        TEXT   NOT NULL,
    mime        TEXT   NOT NULL,
    sha256      TEXT   NOT NULL,
    size        BIGINT NOT NULL,
    captured_at BIGINT NOT NULL,
    lat         REAL,
    lng         REAL,
    uploaded_at BIGINT NOT NULL,
    UNIQUE (trip_id, client_id)
);
CREATE INDEX trip_media_rev ON trip_media (trip_id, rev);
CREATE INDEX trip_media_sha ON trip_media (sha256);

-- Things that happened (prompts, notifications, alarms, end); audience
-- says who sees them: all, guardians or traveller.
CREATE TABLE trip_events (
    trip_id  TEXT   NOT NULL REFERENCES trips (id) ON DELETE CASCADE,
    rev      BIGINT NOT NULL,
    type     TEXT   NOT NULL,
    audience TEXT   NOT NULL,
    at       BIGINT NOT NULL,
    actor    TEXT   NOT NULL DEFAULT '',
    data     TEXT   NOT NULL DEFAULT '{}',
    PRIMARY KEY (trip_id, rev)
);

-- Alarms raised from or about a trip: the only door for police to its data.
CREATE TABLE trip_alarms (
    alarm_id    TEXT   PRIMARY KEY,
    trip_id     TEXT   NOT NULL REFERENCES trips (id) ON DELETE CASCADE,
    raised_by   TEXT   NOT NULL,
    raiser_id   TEXT   NOT NULL DEFAULT '',
    raised_at   BIGINT NOT NULL,
    center      TEXT   NOT NULL DEFAULT ''
);
CREATE INDEX trip_alarms_trip ON trip_alarms (trip_id);
