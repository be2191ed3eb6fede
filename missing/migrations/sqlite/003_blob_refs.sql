-- Indexes for the blob-reference check: before an object is deleted, every
-- column holding blob hashes is asked whether it still names it.
CREATE INDEX missing_notices_cover_sha ON missing_notices (cover_sha);
CREATE INDEX missing_media_sha ON missing_media (sha256);
CREATE INDEX missing_sightings_photo_sha ON missing_sightings (photo_sha);
