-- Indexes for the blob-reference check: before an object is deleted, every
-- column holding blob hashes is asked whether it still names it.
CREATE INDEX tip_media_sha ON tip_media (sha256);
