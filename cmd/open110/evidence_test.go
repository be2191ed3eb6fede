package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEvidenceVerifyCommand(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "x.zip")
	os.WriteFile(bad, []byte("not a zip"), 0o600)
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"evidence", "verify", bad}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "open export") {
		t.Fatalf("bad export: %d %s", code, errb.String())
	}
	if code := run(context.Background(), []string{"evidence"}, &out, &errb); code != 2 {
		t.Fatalf("usage: %d", code)
	}
	dir := t.TempDir()
	for i := 0; i < 2; i++ {
		if code := run(context.Background(), []string{"evidence", "add-identity-key", "--data", dir}, &out, &errb); code != 0 {
			t.Fatalf("add key: %d %s", code, errb.String())
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "identity.keys"))
	if n := strings.Count(string(b), "\n"); n != 2 {
		t.Fatalf("%d keys", n)
	}
}
