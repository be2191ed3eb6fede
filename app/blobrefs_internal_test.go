package app

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"open110/platform/blob"
	"open110/platform/db"
	"open110/platform/db/dbtest"
)

// TestBlobColumnsComplete: every column any migration creates that holds a
// blob hash (named sha256 or *_sha) is in blobColumns, and every listed
// column exists; and the node's store keeps an object such a column still
// names. On both databases.
func TestBlobColumnsComplete(t *testing.T) {
	for _, dialect := range []db.Dialect{db.SQLite, db.Postgres} {
		t.Run(string(dialect), func(t *testing.T) {
			ctx := context.Background()
			a, err := Start(ctx, Config{Addr: "127.0.0.1:0", Data: t.TempDir(), DB: dbtest.URL(t, dialect)}, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			q := `SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table'`
			if dialect == db.Postgres {
				q = `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()`
			}
			rows, err := a.DB.Query(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			all := map[string]bool{}
			var hashes []string
			for rows.Next() {
				var table, col string
				if err := rows.Scan(&table, &col); err != nil {
					t.Fatal(err)
				}
				all[table+"."+col] = true
				if col == "sha256" || strings.HasSuffix(col, "_sha") {
					hashes = append(hashes, table+"."+col)
				}
			}
			rows.Close()
			listed := blobColumns()
			for _, c := range hashes {
				if !slices.Contains(listed, c) {
					t.Errorf("%s holds blob hashes but is not in blobColumns (add it to its feature's BlobColumns)", c)
				}
			}
			for _, c := range listed {
				if !all[c] {
					t.Errorf("blobColumns lists %s, which no migration creates", c)
				}
			}

			// The node's store keeps what a column names.
			o, err := a.Blob.Put(ctx, bytes.NewReader([]byte("a still of the caller's video")))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.DB.Exec(ctx, `INSERT INTO media_snapshots (id, alarm_id, sha256, size, content_type, taken_by, taken_at)
				VALUES ('s1', 'a1', $1, $2, 'image/jpeg', 'officer:d1', 0)`, o.SHA256, o.Size); err != nil {
				t.Fatal(err)
			}
			if err := a.Blob.Delete(ctx, o.SHA256); err != nil {
				t.Fatal(err)
			}
			if _, err := a.Blob.Stat(ctx, o.SHA256); err != nil {
				t.Fatalf("a snapshot's object was deleted: %v", err)
			}
			if _, err := a.DB.Exec(ctx, "DELETE FROM media_snapshots WHERE id = 's1'"); err != nil {
				t.Fatal(err)
			}
			if err := a.Blob.Delete(ctx, o.SHA256); err != nil {
				t.Fatal(err)
			}
			if _, err := a.Blob.Stat(ctx, o.SHA256); !errors.Is(err, blob.ErrNotFound) {
				t.Fatalf("unreferenced object kept: %v", err)
			}
		})
	}
}
