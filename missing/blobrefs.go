package missing

// BlobColumns are the columns of this feature's tables that hold blob
// hashes (table.column). Objects are shared by hash across features, so
// the node deletes an object only when no feature's column names it.
var BlobColumns = []string{"missing_notices.cover_sha", "missing_media.sha256", "missing_sightings.photo_sha"}
