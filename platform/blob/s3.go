package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3 stores objects in an S3-compatible bucket under Prefix + ab/cd/<sha>,
// the same layout as the file store, so a copy from one to the other is a
// plain sync.
type S3 struct {
	Client *minio.Client
	Bucket string
	Prefix string // "" or ending in "/"
	// MaxSinglePut is the largest object sent in one PUT (default and S3's
	// own limit: 5 GiB); larger ones go up in parts.
	MaxSinglePut int64
	tmp          string // staging dir for Put ("" = system temp dir)
}

var _ Store = (*S3)(nil)

// OpenS3 parses an s3:// URL (see Open), connects and creates the bucket if
// it does not exist.
func OpenS3(ctx context.Context, rawURL, dataDir string) (*S3, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "s3" || u.Host == "" {
		return nil, fmt.Errorf("blob: bad s3 URL %q (want s3://ACCESS:SECRET@host:port/bucket)", redact(rawURL))
	}
	bucket, prefix, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	if bucket == "" {
		return nil, fmt.Errorf("blob: s3 URL %q names no bucket", redact(rawURL))
	}
	if prefix = strings.Trim(prefix, "/"); prefix != "" {
		prefix += "/"
	}
	q := u.Query()
	secure := true
	if v := q.Get("secure"); v != "" {
		if secure, err = strconv.ParseBool(v); err != nil {
			return nil, fmt.Errorf("blob: s3 URL: secure=%q is not a boolean", v)
		}
	}
	var creds *credentials.Credentials
	if u.User != nil {
		secret, _ := u.User.Password()
		creds = credentials.NewStaticV4(u.User.Username(), secret, "")
	} else {
		// No keys in the URL: take them from the environment, so the
		// secret need not appear in a flag or process list.
		creds = credentials.NewChainCredentials([]credentials.Provider{
			&credentials.EnvAWS{}, &credentials.EnvMinio{},
		})
	}
	client, err := minio.New(u.Host, &minio.Options{
		Creds:  creds,
		Secure: secure,
		Region: q.Get("region"),
		// Path-style requests (host/bucket/key) work with every
		// S3-compatible server and need no wildcard DNS.
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		return nil, fmt.Errorf("blob: s3 client: %w", err)
	}
	s := &S3{Client: client, Bucket: bucket, Prefix: prefix, MaxSinglePut: 5 << 30}
	if dataDir != "" {
		s.tmp = filepath.Join(dataDir, "blobs", "tmp")
		if err := os.MkdirAll(s.tmp, 0o700); err != nil {
			return nil, fmt.Errorf("blob: create staging dir: %w", err)
		}
	}
	if err := s.ensureBucket(ctx, q.Get("region")); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *S3) ensureBucket(ctx context.Context, region string) error {
	ok, err := s.Client.BucketExists(ctx, s.Bucket)
	if err != nil {
		return fmt.Errorf("blob: s3 bucket %s: %w", s.Bucket, err)
	}
	if ok {
		return nil
	}
	err = s.Client.MakeBucket(ctx, s.Bucket, minio.MakeBucketOptions{Region: region})
	if err != nil {
		// Another node may have created it in the meantime.
		code := minio.ToErrorResponse(err).Code
		if code != "BucketAlreadyOwnedByYou" && code != "BucketAlreadyExists" {
			return fmt.Errorf("blob: s3 create bucket %s: %w", s.Bucket, err)
		}
	}
	return nil
}

func (s *S3) key(sha string) string { return s.Prefix + shardPath(sha) }

// Put implements Store. The key is the content's hash, which is known only
// after reading all of r, so Put stages the content in a temp file while
// hashing, then uploads it with its size known. An object that already
// exists is not uploaded again, and the upload asks the server not to
// replace an existing key (If-None-Match: *).
func (s *S3) Put(ctx context.Context, r io.Reader) (Object, error) {
	f, err := os.CreateTemp(s.tmp, "s3put-*")
	if err != nil {
		return Object{}, fmt.Errorf("blob: put: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()

	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), ctxReader{ctx, r})
	if err != nil {
		return Object{}, fmt.Errorf("blob: put: %w", err)
	}
	obj := Object{SHA256: hex.EncodeToString(h.Sum(nil)), Size: n}

	if _, err := s.Stat(ctx, obj.SHA256); err == nil {
		return obj, nil // already stored: no-op
	} else if !errors.Is(err, ErrNotFound) {
		return Object{}, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return Object{}, fmt.Errorf("blob: put: %w", err)
	}
	opts := minio.PutObjectOptions{
		ContentType: "application/octet-stream",
		// No aws-chunked streaming signature: a single PUT signs the
		// payload's real SHA-256 instead (below); parts carry Content-MD5.
		DisableContentSha256: true,
	}
	opts.SetMatchETagExcept("*")
	if n <= s.MaxSinglePut {
		// We already know the SHA-256, so put it in the signed
		// X-Amz-Content-Sha256 header: the server recomputes it and
		// rejects the upload if a single byte changed on the way.
		_, err = minio.Core{Client: s.Client}.PutObject(ctx, s.Bucket, s.key(obj.SHA256), f, n, "", obj.SHA256, opts)
	} else {
		// Past S3's single-PUT limit: multipart, each part checked by
		// the server against its Content-MD5.
		opts.SendContentMd5 = true
		_, err = s.Client.PutObject(ctx, s.Bucket, s.key(obj.SHA256), f, n, opts)
	}
	if err != nil {
		if minio.ToErrorResponse(err).StatusCode == http.StatusPreconditionFailed {
			return obj, nil // a concurrent Put stored the same bytes first
		}
		return Object{}, fmt.Errorf("blob: put %s: %w", obj.SHA256, err)
	}
	return obj, nil
}

// Get implements Store.
func (s *S3) Get(ctx context.Context, sha string) (io.ReadCloser, Object, error) {
	if err := checkHash(sha); err != nil {
		return nil, Object{}, err
	}
	o, err := s.Client.GetObject(ctx, s.Bucket, s.key(sha), minio.GetObjectOptions{})
	if err != nil {
		return nil, Object{}, s.translate(sha, err)
	}
	// GetObject is lazy: Stat makes the request and reports a missing key.
	info, err := o.Stat()
	if err != nil {
		o.Close()
		return nil, Object{}, s.translate(sha, err)
	}
	obj := Object{SHA256: sha, Size: info.Size}
	return newVerifyReader(o, obj), obj, nil
}

// Stat implements Store.
func (s *S3) Stat(ctx context.Context, sha string) (Object, error) {
	if err := checkHash(sha); err != nil {
		return Object{}, err
	}
	info, err := s.Client.StatObject(ctx, s.Bucket, s.key(sha), minio.StatObjectOptions{})
	if err != nil {
		return Object{}, s.translate(sha, err)
	}
	return Object{SHA256: sha, Size: info.Size}, nil
}

// Ping implements Store: the bucket must exist and answer.
func (s *S3) Ping(ctx context.Context) error {
	ok, err := s.Client.BucketExists(ctx, s.Bucket)
	if err != nil {
		return fmt.Errorf("blob: ping: %w", err)
	}
	if !ok {
		return fmt.Errorf("blob: ping: bucket %s does not exist", s.Bucket)
	}
	return nil
}

func (s *S3) translate(sha string, err error) error {
	resp := minio.ToErrorResponse(err)
	if resp.Code == minio.NoSuchKey || resp.StatusCode == http.StatusNotFound && resp.Code != minio.NoSuchBucket {
		return fmt.Errorf("%w: %s", ErrNotFound, sha)
	}
	return fmt.Errorf("blob: %s: %w", sha, err)
}

// redact hides the secret key of an s3:// URL for errors and logs.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparsable URL>"
	}
	return u.Redacted()
}

// Delete removes an object past its retention; see FS.Delete.
func (s *S3) Delete(ctx context.Context, sha string) error {
	if err := checkHash(sha); err != nil {
		return err
	}
	if err := s.Client.RemoveObject(ctx, s.Bucket, s.key(sha), minio.RemoveObjectOptions{}); err != nil {
		if err := s.translate(sha, err); errors.Is(err, ErrNotFound) {
			return nil
		}
		return fmt.Errorf("blob: delete %s: %w", truncate(sha, 12), err)
	}
	return nil
}
