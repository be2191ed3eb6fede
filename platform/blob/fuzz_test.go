package blob_test

import (
	"context"
	"encoding/hex"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"open110/platform/blob"
)

var canonical = regexp.MustCompile(`^[0-9a-f]{64}$`)

// FuzzHash checks that ValidHash accepts exactly the canonical form, and
// that no string makes the file store look outside its root: a valid hash
// maps to a path under Root, an invalid one is refused before any file
// system access.
func FuzzHash(f *testing.F) {
	for _, s := range []string{
		"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
		"2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824",
		"../../../../../../../../../../../../../../../../../../etc/passwd",
		"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b982/",
		"", "..", "/", strings.Repeat("0", 64), strings.Repeat("0", 65),
	} {
		f.Add(s)
	}
	s, err := blob.OpenFS(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in string) {
		ok := blob.ValidHash(in)
		if ok != canonical.MatchString(in) {
			t.Fatalf("ValidHash(%q) = %v, disagrees with the canonical form", in, ok)
		}
		_, err := s.Stat(context.Background(), in)
		if !ok {
			if !errors.Is(err, blob.ErrInvalidHash) {
				t.Fatalf("Stat(%q): %v, want ErrInvalidHash", in, err)
			}
			return
		}
		if !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("Stat(%q) on empty store: %v, want ErrNotFound", in, err)
		}
		if b, err := hex.DecodeString(in); err != nil || hex.EncodeToString(b) != in {
			t.Fatalf("valid hash %q does not round-trip through hex", in)
		}
		p := filepath.Join(s.Root, in[:2], in[2:4], in)
		if rel, err := filepath.Rel(s.Root, p); err != nil || strings.HasPrefix(rel, "..") {
			t.Fatalf("hash %q escapes the root: %s", in, p)
		}
	})
}
