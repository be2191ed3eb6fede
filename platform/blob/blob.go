package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"path"
	"strings"
)

// Store is a content-addressed store for evidence media.
type Store interface {
	// Put stores the content of r and returns its SHA-256 (lowercase hex) and size.
	// Content is never altered or overwritten: putting the same bytes twice is a no-op.
	// On error (including ctx cancelled mid-stream) nothing is stored.
	Put(ctx context.Context, r io.Reader) (Object, error)
	// Get opens an object by SHA-256. Missing: error wrapping ErrNotFound.
	// Malformed sha256hex: error wrapping ErrInvalidHash. The reader checks
	// the content against its hash as it streams: if they differ, the Read
	// that reaches the end returns an error wrapping ErrCorrupt instead of
	// io.EOF. The caller must Close it.
	Get(ctx context.Context, sha256hex string) (io.ReadCloser, Object, error)
	// Stat returns an object's size. Missing: ErrNotFound; malformed: ErrInvalidHash.
	Stat(ctx context.Context, sha256hex string) (Object, error)
	// Ping checks that the store is reachable and writable; for /readyz.
	Ping(ctx context.Context) error
	// Delete removes an object whose retention has ended (trip media of an
	// unremarkable trip). Content is shared by hash: the caller must know
	// nothing else refers to it — a node's store is Guarded, which asks
	// every feature's tables first. Missing objects are not an error;
	// malformed hashes are (ErrInvalidHash).
	Delete(ctx context.Context, sha256hex string) error
}

// Object identifies stored content.
type Object struct {
	SHA256 string // lowercase hex, 64 characters
	Size   int64  // bytes
}

var (
	// ErrNotFound: no object with that hash.
	ErrNotFound = errors.New("blob: not found")
	// ErrInvalidHash: the string is not 64 lowercase hex digits.
	ErrInvalidHash = errors.New("blob: invalid sha256 (want 64 lowercase hex digits)")
	// ErrCorrupt: stored bytes no longer match their hash.
	ErrCorrupt = errors.New("blob: content does not match its sha256")
)

// Open returns the store chosen by url, the one place that decides
// "local files by default, object storage when configured":
//
//   - "" → files under dataDir/blobs
//   - "s3://ACCESS:SECRET@host:port/bucket[/prefix]?secure=false&region=…" →
//     an S3-compatible server through minio-go; the bucket is created if
//     missing. secure defaults to true (HTTPS). Without ACCESS:SECRET the
//     AWS_* / MINIO_* environment variables are used. Put stages content
//     under dataDir/blobs/tmp (or the system temp dir when dataDir is "").
func Open(ctx context.Context, url string, dataDir string) (Store, error) {
	switch {
	case url == "":
		if dataDir == "" {
			return nil, errors.New("blob: data dir is required for the file store")
		}
		return OpenFS(dataDir)
	case strings.HasPrefix(url, "s3://"):
		return OpenS3(ctx, url, dataDir)
	default:
		return nil, fmt.Errorf("blob: unsupported store URL scheme (want \"\" or s3://): %q", redact(url))
	}
}

// ValidHash reports whether s is a well-formed SHA-256 in our canonical
// form: exactly 64 lowercase hex digits. Anything else (upper case, path
// separators, dots) is refused, so a hash can never name a path outside
// the store.
func ValidHash(s string) bool {
	if len(s) != sha256.Size*2 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func checkHash(s string) error {
	if !ValidHash(s) {
		return fmt.Errorf("%w: %q", ErrInvalidHash, truncate(s, 80))
	}
	return nil
}

// shardPath is the relative, slash-separated location of a valid hash:
// ab/cd/abcd…  Two levels of 256 keep directories small on the file store.
func shardPath(sha string) string {
	return path.Join(sha[0:2], sha[2:4], sha)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// verifyReader hashes what passes through and, at EOF, turns a hash or size
// mismatch into ErrCorrupt, so a caller streaming evidence to a client or
// into an export notices tampering or bit rot without a second pass.
type verifyReader struct {
	rc   io.ReadCloser
	h    hash.Hash
	want Object
	n    int64
	err  error // sticky result once EOF was seen
}

func newVerifyReader(rc io.ReadCloser, want Object) *verifyReader {
	return &verifyReader{rc: rc, h: sha256.New(), want: want}
}

func (v *verifyReader) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.rc.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if err == io.EOF {
		got := hex.EncodeToString(v.h.Sum(nil))
		if got != v.want.SHA256 || v.n != v.want.Size {
			err = fmt.Errorf("%w: %s read back as %s (%d bytes, want %d)", ErrCorrupt, v.want.SHA256, got, v.n, v.want.Size)
		}
		v.err = err
	}
	return n, err
}

func (v *verifyReader) Close() error { return v.rc.Close() }

// ctxReader stops a long Put when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
