-- A fingerprint of the server secret the database was first used with.
-- Every node of a cluster must use the same secret (it keys OTP hashes,
-- the emergency-profile encryption key, node forwarding and playback
-- tickets); a node started with another one is refused at start.
CREATE TABLE server_key (
	id          INTEGER PRIMARY KEY CHECK (id = 1),
	fingerprint TEXT    NOT NULL,
	created_at  BIGINT  NOT NULL
);
