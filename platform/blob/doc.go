// Package blob is open110's evidence store: content addressed by SHA-256,
// files under the data directory by default, an S3-compatible object store
// (through minio-go) when configured.
//
// Evidence must never be altered (DESIGN §4), so the store has no delete and
// no overwrite: an object's name is the SHA-256 of its bytes, Put of bytes
// that are already there is a no-op, and Get checks the bytes against the
// name as they stream out.
//
// Design decisions:
//
//   - Open is the one place that picks the backend: url "" → files in
//     dataDir/blobs; "s3://KEY:SECRET@host:port/bucket[/prefix]?secure=false&region=…"
//     → S3 (HTTPS unless secure=false; path-style requests; the bucket is
//     created if missing; keys from AWS_*/MINIO_* env when the URL has none).
//   - Hashes are accepted only in canonical form, 64 lowercase hex digits
//     (ValidHash); anything else fails with ErrInvalidHash before any I/O,
//     which also rules out path traversal. Both backends use the same layout,
//     ab/cd/<sha>, so moving from files to S3 is a plain copy.
//   - Files: Put streams into dataDir/blobs/tmp while hashing, fsyncs, makes
//     the file 0444, then hard-links it into place (link fails if the name
//     exists, so nothing is ever replaced, not even by a racing Put) and
//     fsyncs the directory. Staging files older than an hour are removed at
//     Open (left by a crash).
//   - S3: the key is only known after the whole content is read, so Put
//     stages it in a temp file while hashing, skips the upload if the key
//     exists, and sends it with If-None-Match: *. Up to 5 GiB it is one PUT
//     whose signed X-Amz-Content-Sha256 is the content hash, so the server
//     rejects bytes damaged in transit; larger objects go multipart with
//     Content-MD5 per part.
//   - Get wraps the content in a reader that fails with ErrCorrupt instead
//     of io.EOF when the bytes do not match the hash (tampering, bit rot); a
//     caller that stops before EOF gets no check.
//   - Errors: ErrNotFound, ErrInvalidHash, ErrCorrupt are wrapped with %w;
//     use errors.Is.
package blob
