CREATE TABLE audit_log (
	seq        INTEGER PRIMARY KEY,
	at         BIGINT  NOT NULL,
	actor      TEXT    NOT NULL,
	actor_ip   TEXT    NOT NULL,
	request_ip TEXT    NOT NULL,
	action     TEXT    NOT NULL,
	object     TEXT    NOT NULL,
	subject    TEXT    NOT NULL,
	reason     TEXT    NOT NULL,
	detail     TEXT    NOT NULL,
	prev_hash  TEXT    NOT NULL,
	hash       TEXT    NOT NULL
);
CREATE INDEX audit_log_actor ON audit_log (actor, seq);
CREATE INDEX audit_log_object ON audit_log (object, seq);
CREATE INDEX audit_log_subject ON audit_log (subject, seq);
