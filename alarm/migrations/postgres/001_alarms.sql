-- Alarms and everything that happens to them. Times are microseconds since
-- the Unix epoch (UTC); booleans 0/1; JSON as TEXT.
CREATE TABLE alarms (
    id                 TEXT PRIMARY KEY,
    kind               TEXT    NOT NULL,
    state              TEXT    NOT NULL,
    center             TEXT    NOT NULL,
    home_center        TEXT    NOT NULL,
    routing            TEXT    NOT NULL DEFAULT '{}',
    overflow_level     INTEGER NOT NULL DEFAULT 0,
    caller_id          TEXT    NOT NULL DEFAULT '',
    caller_phone       TEXT    NOT NULL DEFAULT '',
    raised_by          TEXT    NOT NULL DEFAULT '',
    raised_by_id       TEXT    NOT NULL DEFAULT '',
    client_ip          TEXT    NOT NULL DEFAULT '',
    idem_key           TEXT    NOT NULL DEFAULT '',
    links              TEXT    NOT NULL DEFAULT '{}',
    lat                DOUBLE PRECISION,
    lng                DOUBLE PRECISION,
    accuracy_m         DOUBLE PRECISION,
    loc_source         TEXT    NOT NULL DEFAULT '',
    loc_seq            INTEGER NOT NULL DEFAULT 0,
    last_pos_seq       INTEGER NOT NULL DEFAULT 0,
    msg_seq            INTEGER NOT NULL DEFAULT 0,
    suspected          INTEGER NOT NULL DEFAULT 0,
    suspicion          TEXT    NOT NULL DEFAULT '[]',
    raised_at          BIGINT  NOT NULL,
    queued_at          BIGINT  NOT NULL,
    answered_at        BIGINT  NOT NULL DEFAULT 0,
    first_answered_at  BIGINT  NOT NULL DEFAULT 0,
    first_answered_by  TEXT    NOT NULL DEFAULT '',
    first_center       TEXT    NOT NULL DEFAULT '',
    answered_by        TEXT    NOT NULL DEFAULT '',
    ended_at           BIGINT  NOT NULL DEFAULT 0,
    disposition        TEXT    NOT NULL DEFAULT '',
    was_abandoned      INTEGER NOT NULL DEFAULT 0,
    caller_watch       INTEGER NOT NULL DEFAULT 0,
    caller_seen_at     BIGINT  NOT NULL DEFAULT 0,
    dispatcher_watch   INTEGER NOT NULL DEFAULT 0,
    dispatcher_seen_at BIGINT  NOT NULL DEFAULT 0,
    last_seq           BIGINT  NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX alarms_idem ON alarms (caller_id, idem_key) WHERE idem_key <> '';
CREATE UNIQUE INDEX alarms_sms_open ON alarms (caller_phone) WHERE kind = 'sms' AND state IN ('queued', 'answered');
CREATE INDEX alarms_state ON alarms (state, queued_at);
CREATE INDEX alarms_caller ON alarms (caller_id, raised_at);
CREATE INDEX alarms_phone ON alarms (caller_phone, raised_at);
CREATE INDEX alarms_ip ON alarms (client_ip, raised_at);
CREATE INDEX alarms_home ON alarms (home_center, raised_at);
CREATE INDEX alarms_first_center ON alarms (first_center, raised_at);
CREATE INDEX alarms_answered_by ON alarms (answered_by, state);

-- Which centres see an alarm. active: offered now (may answer); an inactive
-- row keeps read access for a centre it was transferred away from. A
-- centre's live feed carries the alarm's events from from_seq to until_seq.
CREATE TABLE alarm_offers (
    alarm_id  TEXT    NOT NULL REFERENCES alarms (id),
    center    TEXT    NOT NULL,
    reason    TEXT    NOT NULL,
    active    INTEGER NOT NULL,
    from_seq  BIGINT  NOT NULL,
    until_seq BIGINT  NOT NULL DEFAULT 0,
    at        BIGINT  NOT NULL,
    PRIMARY KEY (alarm_id, center)
);
CREATE INDEX alarm_offers_center ON alarm_offers (center, active);

-- The event log and global cursor. Writers take an advisory lock before
-- inserting, so seq order is commit order and a cursor never skips a row.
CREATE TABLE alarm_events (
    seq      BIGSERIAL PRIMARY KEY,
    alarm_id TEXT    NOT NULL,
    type     TEXT    NOT NULL,
    at       BIGINT  NOT NULL,
    actor    TEXT    NOT NULL,
    reason   TEXT    NOT NULL DEFAULT '',
    staff    INTEGER NOT NULL DEFAULT 0,
    data     TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX alarm_events_alarm ON alarm_events (alarm_id, seq);

CREATE TABLE alarm_messages (
    id           TEXT    PRIMARY KEY,
    alarm_id     TEXT    NOT NULL REFERENCES alarms (id),
    seq          INTEGER NOT NULL,
    sender_role  TEXT    NOT NULL,
    sender       TEXT    NOT NULL DEFAULT '',
    text         TEXT    NOT NULL,
    channel      TEXT    NOT NULL DEFAULT 'app',
    at           BIGINT  NOT NULL,
    delivered_at BIGINT  NOT NULL DEFAULT 0,
    read_at      BIGINT  NOT NULL DEFAULT 0,
    send_error   TEXT    NOT NULL DEFAULT '',
    UNIQUE (alarm_id, seq)
);

CREATE TABLE alarm_positions (
    alarm_id   TEXT    NOT NULL REFERENCES alarms (id),
    seq        INTEGER NOT NULL,
    lat        DOUBLE PRECISION    NOT NULL,
    lng        DOUBLE PRECISION    NOT NULL,
    accuracy_m DOUBLE PRECISION    NOT NULL,
    source     TEXT    NOT NULL DEFAULT '',
    at         BIGINT  NOT NULL,
    PRIMARY KEY (alarm_id, seq)
);

CREATE TABLE alarm_incidents (
    alarm_id   TEXT    PRIMARY KEY REFERENCES alarms (id),
    category   TEXT    NOT NULL DEFAULT '',
    priority   INTEGER NOT NULL DEFAULT 0,
    address    TEXT    NOT NULL DEFAULT '',
    notes      TEXT    NOT NULL DEFAULT '',
    updated_at BIGINT  NOT NULL,
    updated_by TEXT    NOT NULL
);

CREATE TABLE alarm_units (
    id            TEXT   PRIMARY KEY,
    alarm_id      TEXT   NOT NULL REFERENCES alarms (id),
    unit          TEXT   NOT NULL,
    note          TEXT   NOT NULL DEFAULT '',
    dispatched_at BIGINT NOT NULL,
    arrived_at    BIGINT NOT NULL DEFAULT 0,
    cleared_at    BIGINT NOT NULL DEFAULT 0,
    dispatched_by TEXT   NOT NULL
);
CREATE INDEX alarm_units_alarm ON alarm_units (alarm_id, dispatched_at);

CREATE TABLE alarm_callbacks (
    id       TEXT   PRIMARY KEY,
    alarm_id TEXT   NOT NULL REFERENCES alarms (id),
    at       BIGINT NOT NULL,
    officer  TEXT   NOT NULL,
    outcome  TEXT   NOT NULL,
    note     TEXT   NOT NULL DEFAULT ''
);
CREATE INDEX alarm_callbacks_alarm ON alarm_callbacks (alarm_id, at);

-- 12110 gateway callbacks seen: the gateway's message id (a retry is
-- answered idempotently) and the signature (an exact replay is refused).
CREATE TABLE sms_inbound (
    id          TEXT   PRIMARY KEY,
    signature   TEXT   NOT NULL UNIQUE,
    phone       TEXT   NOT NULL,
    alarm_id    TEXT   NOT NULL,
    received_at BIGINT NOT NULL
);
