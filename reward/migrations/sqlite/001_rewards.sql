CREATE TABLE reward_tasks (
	id          TEXT PRIMARY KEY,
	center_code TEXT NOT NULL,
	title       TEXT NOT NULL,
	description TEXT NOT NULL,
	amount_yuan BIGINT NOT NULL,
	area        TEXT NOT NULL,
	valid_from  BIGINT NOT NULL,
	valid_until BIGINT NOT NULL,
	state       TEXT NOT NULL,
	created_by  TEXT NOT NULL,
	created_at  BIGINT NOT NULL,
	updated_at  BIGINT NOT NULL
);
CREATE INDEX reward_tasks_list ON reward_tasks (state, valid_until);
CREATE INDEX reward_tasks_center ON reward_tasks (center_code, created_at);
CREATE TABLE reward_task_media (
	task_id  TEXT NOT NULL REFERENCES reward_tasks(id),
	sha256   TEXT NOT NULL,
	mime     TEXT NOT NULL,
	size     BIGINT NOT NULL,
	added_at BIGINT NOT NULL,
	PRIMARY KEY (task_id, sha256)
);
CREATE TABLE reward_clues (
	id             TEXT PRIMARY KEY,
	task_id        TEXT NOT NULL REFERENCES reward_tasks(id),
	text           TEXT NOT NULL,
	contact        TEXT NOT NULL DEFAULT '',
	citizen_ref    TEXT NOT NULL DEFAULT '',
	claim_hash     TEXT NOT NULL,
	claim_failures INTEGER NOT NULL DEFAULT 0,
	state          TEXT NOT NULL,
	reward_yuan    BIGINT NOT NULL DEFAULT 0,
	reward_note    TEXT NOT NULL DEFAULT '',
	rewarded_by    TEXT NOT NULL DEFAULT '',
	rewarded_at    BIGINT NOT NULL DEFAULT 0,
	redeemed_at    BIGINT NOT NULL DEFAULT 0,
	receipt        TEXT NOT NULL DEFAULT '',
	created_at     BIGINT NOT NULL
);
CREATE INDEX reward_clues_task ON reward_clues (task_id, created_at);
CREATE INDEX reward_clues_citizen ON reward_clues (citizen_ref, created_at);
