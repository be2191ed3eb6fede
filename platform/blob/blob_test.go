package blob_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	mrand "math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/minio/minio-go/v7"

	"open110/platform/blob"
)

// One conformance suite; every Store must pass it.

// backend opens a fresh store and knows how to damage an object behind the
// store's back, to test corruption detection.
type backend struct {
	open    func(t *testing.T) blob.Store
	corrupt func(t *testing.T, s blob.Store, sha string)
}

func TestFS(t *testing.T) {
	runSuite(t, backend{
		open: func(t *testing.T) blob.Store {
			s, err := blob.Open(context.Background(), "", t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		corrupt: func(t *testing.T, s blob.Store, sha string) {
			p := filepath.Join(s.(*blob.FS).Root, sha[:2], sha[2:4], sha)
			if err := os.Chmod(p, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte("tampered"), 0o644); err != nil {
				t.Fatal(err)
			}
		},
	})
}

// TestS3 runs the suite against gofakes3 serving real HTTP on 127.0.0.1,
// and also against OPEN110_TEST_S3 (an s3:// URL) when that is set.
func TestS3(t *testing.T) {
	s3corrupt := func(t *testing.T, s blob.Store, sha string) {
		st := s.(*blob.S3)
		_, err := st.Client.PutObject(context.Background(), st.Bucket, st.Prefix+sha[:2]+"/"+sha[2:4]+"/"+sha,
			strings.NewReader("tampered"), 8, minio.PutObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Run("gofakes3", func(t *testing.T) {
		runSuite(t, backend{
			open: func(t *testing.T) blob.Store {
				return openS3(t, fakeS3(t)+"/evidence/some/prefix?secure=false&region=us-east-1")
			},
			corrupt: s3corrupt,
		})
	})
	t.Run("external", func(t *testing.T) {
		url := os.Getenv("OPEN110_TEST_S3")
		if url == "" {
			t.Skip("set OPEN110_TEST_S3=s3://KEY:SECRET@host:port/bucket?secure=false to run against a real S3 server")
		}
		runSuite(t, backend{
			open: func(t *testing.T) blob.Store {
				// Fresh prefix per test: the server is shared.
				u, q, _ := strings.Cut(url, "?")
				return openS3(t, u+"/"+randomHex(8)+"?"+q)
			},
			corrupt: s3corrupt,
		})
	})
}

// fakeS3 starts an in-memory S3 server on 127.0.0.1 and returns
// "s3://KEY:SECRET@host:port".
func fakeS3(t *testing.T) string {
	t.Helper()
	ts := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(ts.Close)
	return "s3://test-key:test-secret@" + strings.TrimPrefix(ts.URL, "http://")
}

func openS3(t *testing.T, url string) blob.Store {
	t.Helper()
	s, err := blob.Open(context.Background(), url, t.TempDir())
	if err != nil {
		t.Fatalf("Open %s: %v", url, err)
	}
	return s
}

func runSuite(t *testing.T, b backend) {
	tests := []struct {
		name string
		fn   func(t *testing.T, b backend, s blob.Store)
	}{
		{"PutGetStat", testPutGetStat},
		{"Empty", testEmpty},
		{"PutTwiceIsNoOp", testPutTwice},
		{"ConcurrentPuts", testConcurrentPuts},
		{"Large", testLarge},
		{"NotFound", testNotFound},
		{"InvalidHash", testInvalidHash},
		{"FailedPutStoresNothing", testFailedPut},
		{"Corruption", testCorruption},
		{"Delete", testDelete},
		{"GuardedDelete", testGuardedDelete},
		{"Ping", func(t *testing.T, _ backend, s blob.Store) {
			if err := s.Ping(context.Background()); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, b, b.open(t)) })
	}
}

func sum(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func put(t *testing.T, s blob.Store, data []byte) blob.Object {
	t.Helper()
	obj, err := s.Put(context.Background(), bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	if want := (blob.Object{SHA256: sum(data), Size: int64(len(data))}); obj != want {
		t.Fatalf("Put = %+v, want %+v", obj, want)
	}
	return obj
}

func get(t *testing.T, s blob.Store, sha string) ([]byte, blob.Object) {
	t.Helper()
	rc, obj, err := s.Get(context.Background(), sha)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return data, obj
}

func testPutGetStat(t *testing.T, _ backend, s blob.Store) {
	obj := put(t, s, []byte("hello"))
	if obj.SHA256 != "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824" {
		t.Fatalf("sha = %s", obj.SHA256)
	}
	data, got := get(t, s, obj.SHA256)
	if string(data) != "hello" || got != obj {
		t.Fatalf("Get = %q %+v", data, got)
	}
	st, err := s.Stat(context.Background(), obj.SHA256)
	if err != nil || st != obj {
		t.Fatalf("Stat = %+v, %v", st, err)
	}
}

func testEmpty(t *testing.T, _ backend, s blob.Store) {
	obj := put(t, s, nil)
	data, got := get(t, s, obj.SHA256)
	if len(data) != 0 || got.Size != 0 {
		t.Fatalf("Get empty = %q %+v", data, got)
	}
}

func testPutTwice(t *testing.T, _ backend, s blob.Store) {
	a := put(t, s, []byte("evidence"))
	b := put(t, s, []byte("evidence"))
	if a != b {
		t.Fatalf("%+v != %+v", a, b)
	}
	if data, _ := get(t, s, a.SHA256); string(data) != "evidence" {
		t.Fatalf("got %q", data)
	}
}

func testConcurrentPuts(t *testing.T, _ backend, s blob.Store) {
	data := []byte("the same photo, uploaded twice over a flaky network")
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			obj, err := s.Put(context.Background(), bytes.NewReader(data))
			if err == nil && obj.SHA256 != sum(data) {
				err = errors.New("wrong hash " + obj.SHA256)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := get(t, s, sum(data)); !bytes.Equal(got, data) {
		t.Fatal("content changed")
	}
}

func testLarge(t *testing.T, _ backend, s blob.Store) {
	if s3, ok := s.(*blob.S3); ok {
		// Exercise the multipart path without a 5 GiB object.
		s3.MaxSinglePut = 1 << 20
	}
	data := make([]byte, 17<<20+123)
	r := newRand(1)
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	obj := put(t, s, data)
	got, _ := get(t, s, obj.SHA256)
	if !bytes.Equal(got, data) {
		t.Fatal("large object read back differently")
	}
}

func newRand(seed uint64) *mrand.Rand { return mrand.New(mrand.NewPCG(seed, seed)) }

func testNotFound(t *testing.T, _ backend, s blob.Store) {
	sha := sum([]byte("never stored " + randomHex(8)))
	if _, _, err := s.Get(context.Background(), sha); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Get missing: %v, want ErrNotFound", err)
	}
	if _, err := s.Stat(context.Background(), sha); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Stat missing: %v, want ErrNotFound", err)
	}
}

func testInvalidHash(t *testing.T, _ backend, s blob.Store) {
	valid := sum([]byte("x"))
	for _, bad := range []string{
		"", "abc", strings.ToUpper(valid), valid + "0", valid[:63],
		"../../../../etc/passwd", "../" + valid[3:], valid[:62] + "/x",
		strings.Repeat("g", 64), valid[:63] + "\x00",
	} {
		if _, _, err := s.Get(context.Background(), bad); !errors.Is(err, blob.ErrInvalidHash) {
			t.Errorf("Get(%q): %v, want ErrInvalidHash", bad, err)
		}
		if _, err := s.Stat(context.Background(), bad); !errors.Is(err, blob.ErrInvalidHash) {
			t.Errorf("Stat(%q): %v, want ErrInvalidHash", bad, err)
		}
	}
}

// failingReader yields some bytes, then fails (or cancels ctx first).
type failingReader struct {
	n      int
	cancel context.CancelFunc
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		if f.cancel != nil {
			f.cancel()
			return len(p), nil // more data would come, but ctx is done
		}
		return 0, errors.New("network dropped")
	}
	n := min(len(p), f.n)
	for i := range n {
		p[i] = 'a'
	}
	f.n -= n
	return n, nil
}

func testFailedPut(t *testing.T, _ backend, s blob.Store) {
	if _, err := s.Put(context.Background(), &failingReader{n: 1000}); err == nil {
		t.Fatal("Put with failing reader: want error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := s.Put(ctx, &failingReader{n: 1000, cancel: cancel}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put with cancelled ctx: %v, want context.Canceled", err)
	}
	// The 1000 bytes read before the failure were not stored as an object.
	if _, err := s.Stat(context.Background(), sum(bytes.Repeat([]byte("a"), 1000))); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("partial content stored: %v", err)
	}
}

func testCorruption(t *testing.T, b backend, s blob.Store) {
	obj := put(t, s, []byte("original evidence"))
	b.corrupt(t, s, obj.SHA256)
	rc, _, err := s.Get(context.Background(), obj.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, err := io.ReadAll(rc); !errors.Is(err, blob.ErrCorrupt) {
		t.Fatalf("reading tampered object: %v, want ErrCorrupt", err)
	}
}

// File-store specifics: layout, read-only files, reopen.
func TestFSLayout(t *testing.T) {
	dir := t.TempDir()
	s, err := blob.OpenFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	obj := put(t, s, []byte("photo"))
	p := filepath.Join(dir, "blobs", obj.SHA256[:2], obj.SHA256[2:4], obj.SHA256)
	info, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o444 {
		t.Fatalf("mode %v, want 0444", info.Mode().Perm())
	}
	// Staging files are gone.
	if entries, _ := os.ReadDir(filepath.Join(dir, "blobs", "tmp")); len(entries) != 0 {
		t.Fatalf("left in tmp: %v", entries)
	}
	// A second Put of the same bytes leaves the file alone.
	before := info.ModTime()
	put(t, s, []byte("photo"))
	if info, _ := os.Stat(p); !info.ModTime().Equal(before) {
		t.Fatal("existing object rewritten")
	}
	// Reopen on the same dir keeps everything.
	s2, err := blob.OpenFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	if data, _ := get(t, s2, obj.SHA256); string(data) != "photo" {
		t.Fatalf("after reopen: %q", data)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	for _, url := range []string{
		"ftp://x/y", "s3://", "s3://host:1", "s3://k:s@host:1/bucket?secure=maybe",
	} {
		if _, err := blob.Open(ctx, url, t.TempDir()); err == nil {
			t.Errorf("Open(%q): want error", url)
		}
	}
	if _, err := blob.Open(ctx, "", ""); err == nil {
		t.Error("file store without data dir: want error")
	}
	// The secret never shows in an error.
	_, err := blob.Open(ctx, "gs://key:topsecret@host/b", "")
	if err == nil || strings.Contains(err.Error(), "topsecret") {
		t.Errorf("error leaks secret or is nil: %v", err)
	}
}

func testDelete(t *testing.T, _ backend, s blob.Store) {
	ctx := context.Background()
	o := put(t, s, []byte("trip photo past retention"))
	if err := s.Delete(ctx, o.SHA256); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(ctx, o.SHA256); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if err := s.Delete(ctx, o.SHA256); err != nil {
		t.Fatalf("second delete: %v", err)
	}
	if err := s.Delete(ctx, "../../etc/passwd"); !errors.Is(err, blob.ErrInvalidHash) {
		t.Fatalf("bad hash: %v", err)
	}
	// The same bytes can be stored again.
	if again := put(t, s, []byte("trip photo past retention")); again != o {
		t.Fatalf("%+v != %+v", again, o)
	}
}

// testGuardedDelete: a guarded store keeps an object another feature still
// refers to, deletes it once nothing does, and keeps it when a referrer
// cannot answer.
func testGuardedDelete(t *testing.T, _ backend, s blob.Store) {
	ctx := context.Background()
	g := blob.Guard(s)
	o := put(t, g, []byte("one photo, sent as a tip and during a trip"))
	tipRefers, broken := true, false
	g.Refer(func(_ context.Context, sha string) (bool, error) { return false, nil }) // the trip's own row is gone
	g.Refer(func(_ context.Context, sha string) (bool, error) { return tipRefers && sha == o.SHA256, nil })
	g.Refer(func(_ context.Context, sha string) (bool, error) {
		if broken {
			return false, errors.New("database away")
		}
		return false, nil
	})
	if err := g.Delete(ctx, o.SHA256); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(ctx, o.SHA256); err != nil {
		t.Fatalf("object another feature refers to was deleted: %v", err)
	}
	tipRefers, broken = false, true
	if err := g.Delete(ctx, o.SHA256); err == nil {
		t.Fatal("delete went ahead while a referrer failed")
	}
	if _, err := s.Stat(ctx, o.SHA256); err != nil {
		t.Fatalf("object deleted while a referrer failed: %v", err)
	}
	broken = false
	if err := g.Delete(ctx, o.SHA256); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(ctx, o.SHA256); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("unreferenced object kept: %v", err)
	}
	if err := g.Delete(ctx, "nothex"); !errors.Is(err, blob.ErrInvalidHash) {
		t.Fatalf("bad hash: %v", err)
	}
}
