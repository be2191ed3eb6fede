-- Citizens' emergency profiles, encrypted (AES-256-GCM, key derived from
-- the server secret; the citizen id is the associated data, so a sealed
-- profile cannot be moved to another row). Nothing here is readable
-- without the key.
CREATE TABLE citizen_profiles (
	citizen_id TEXT    PRIMARY KEY,
	key_id     TEXT    NOT NULL,
	sealed     TEXT    NOT NULL,
	updated_at BIGINT  NOT NULL
);
