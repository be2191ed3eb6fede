-- Indexes for the blob-reference check: before an object is deleted, every
-- column holding blob hashes is asked whether it still names it.
CREATE INDEX media_segments_sha ON media_segments (sha256);
CREATE INDEX media_snapshots_sha ON media_snapshots (sha256);
