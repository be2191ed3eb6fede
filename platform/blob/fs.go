package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// FS stores objects as read-only files under Root, at Root/ab/cd/<sha>.
type FS struct {
	Root string // dataDir/blobs
	tmp  string // Root/tmp: same file system as the objects, so link/rename is atomic
}

var _ Store = (*FS)(nil)

// OpenFS opens (creating if needed) the file store under dataDir/blobs and
// removes staging files left over by a crash.
func OpenFS(dataDir string) (*FS, error) {
	root := filepath.Join(dataDir, "blobs")
	s := &FS{Root: root, tmp: filepath.Join(root, "tmp")}
	if err := os.MkdirAll(s.tmp, 0o700); err != nil {
		return nil, fmt.Errorf("blob: create store dir: %w", err)
	}
	s.cleanTmp(time.Hour)
	return s, nil
}

// cleanTmp removes staging files older than age: a Put that crashed midway.
// Younger ones may belong to a Put still running.
func (s *FS) cleanTmp(age time.Duration) {
	entries, err := os.ReadDir(s.tmp)
	if err != nil {
		return
	}
	for _, e := range entries {
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > age {
			_ = os.Remove(filepath.Join(s.tmp, e.Name()))
		}
	}
}

func (s *FS) path(sha string) string {
	return filepath.Join(s.Root, filepath.FromSlash(shardPath(sha)))
}

// Put implements Store: it streams r into a staging file while hashing it,
// fsyncs it, makes it read-only and hard-links it into place. The link fails
// if the object exists, so existing content is never replaced, even by a
// concurrent Put of the same bytes.
func (s *FS) Put(ctx context.Context, r io.Reader) (Object, error) {
	f, err := os.CreateTemp(s.tmp, "put-*")
	if err != nil {
		return Object{}, fmt.Errorf("blob: put: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // the object, if stored, is another link to the same file
	defer f.Close()

	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), ctxReader{ctx, r})
	if err != nil {
		return Object{}, fmt.Errorf("blob: put: %w", err)
	}
	if err := f.Sync(); err != nil {
		return Object{}, fmt.Errorf("blob: put: sync: %w", err)
	}
	if err := f.Chmod(0o444); err != nil {
		return Object{}, fmt.Errorf("blob: put: %w", err)
	}
	if err := f.Close(); err != nil {
		return Object{}, fmt.Errorf("blob: put: %w", err)
	}
	obj := Object{SHA256: hex.EncodeToString(h.Sum(nil)), Size: n}
	if err := ctx.Err(); err != nil {
		return Object{}, err
	}

	dst := s.path(obj.SHA256)
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Object{}, fmt.Errorf("blob: put: %w", err)
	}
	switch err := os.Link(tmp, dst); {
	case err == nil:
	case errors.Is(err, fs.ErrExist):
		return obj, nil // same bytes already stored: no-op
	default:
		// A file system without hard links: fall back to rename, which
		// is atomic but would replace; check first (a racing Put of the
		// same content would write identical bytes anyway).
		if _, serr := os.Lstat(dst); serr == nil {
			return obj, nil
		}
		if err := os.Rename(tmp, dst); err != nil {
			return Object{}, fmt.Errorf("blob: put: %w", err)
		}
	}
	// Make the new directory entry durable, not just the file's bytes.
	if err := syncDir(dir); err != nil {
		return Object{}, fmt.Errorf("blob: put: %w", err)
	}
	return obj, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Get implements Store.
func (s *FS) Get(ctx context.Context, sha string) (io.ReadCloser, Object, error) {
	if err := checkHash(sha); err != nil {
		return nil, Object{}, err
	}
	if err := ctx.Err(); err != nil {
		return nil, Object{}, err
	}
	f, err := os.Open(s.path(sha))
	if err != nil {
		return nil, Object{}, s.notFound(sha, err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, Object{}, fmt.Errorf("blob: get %s: %w", sha, err)
	}
	obj := Object{SHA256: sha, Size: info.Size()}
	return newVerifyReader(f, obj), obj, nil
}

// Stat implements Store.
func (s *FS) Stat(ctx context.Context, sha string) (Object, error) {
	if err := checkHash(sha); err != nil {
		return Object{}, err
	}
	if err := ctx.Err(); err != nil {
		return Object{}, err
	}
	info, err := os.Stat(s.path(sha))
	if err != nil {
		return Object{}, s.notFound(sha, err)
	}
	return Object{SHA256: sha, Size: info.Size()}, nil
}

func (s *FS) notFound(sha string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s", ErrNotFound, sha)
	}
	return fmt.Errorf("blob: %s: %w", sha, err)
}

// Ping implements Store: the staging directory must accept a new file.
func (s *FS) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := os.CreateTemp(s.tmp, "ping-*")
	if err != nil {
		return fmt.Errorf("blob: ping: %w", err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// Delete removes an object that has passed its retention (for example a
// trip's media seven days after an unremarkable trip). Content is shared by
// hash, so the caller must know no other record still refers to it;
// evidence under retention is never deleted. A missing object is not an
// error (deletion is idempotent); a malformed hash is.
func (s *FS) Delete(_ context.Context, sha string) error {
	if err := checkHash(sha); err != nil {
		return err
	}
	if err := os.Remove(s.path(sha)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("blob: delete %s: %w", truncate(sha, 12), err)
	}
	return nil
}
