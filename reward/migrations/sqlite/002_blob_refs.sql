-- Indexes for the blob-reference check: before an object is deleted, every
-- column holding blob hashes is asked whether it still names it.
CREATE INDEX reward_task_media_sha ON reward_task_media (sha256);
