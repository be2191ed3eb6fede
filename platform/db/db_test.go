package db_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"io/fs"

	"open110/platform/db"
	"open110/platform/db/dbtest"
)

func confSetB(t testing.TB) db.Migrations { return confSetTB(t) }

func confSet(t *testing.T) db.Migrations { return confSetTB(t) }

func confSetTB(t testing.TB) db.Migrations {
	sub, err := fs.Sub(os.DirFS("testdata"), "conf")
	if err != nil {
		t.Fatal(err)
	}
	return db.Migrations{Name: "conf", FS: sub}
}

// TestConformance is the behaviour both backends must share.
func TestConformance(t *testing.T) {
	dbtest.Each(t, []db.Migrations{confSet(t)}, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 27, 8, 0, 0, 123456000, time.UTC)

		var id int64
		if err := d.WriteRow(ctx, "INSERT INTO items (name, at, flag) VALUES ($1, $2, $3) RETURNING id",
			"a", db.Micros(now), db.Bool(true)).Scan(&id); err != nil {
			t.Fatalf("insert returning: %v", err)
		}
		t.Run("the reader pool refuses writes on SQLite", func(t *testing.T) {
			if d.Dialect != db.SQLite {
				t.Skip("one pool on PostgreSQL")
			}
			if _, err := d.Query(ctx, "INSERT INTO items (name, at) VALUES ('r', 1)"); err == nil {
				t.Fatal("write through the reader pool succeeded")
			}
		})
		if id <= 0 {
			t.Fatalf("id = %d", id)
		}

		t.Run("unique violation is recognised", func(t *testing.T) {
			_, err := d.Exec(ctx, "INSERT INTO items (name, at) VALUES ($1, $2)", "a", 1)
			if !db.IsUniqueViolation(err) {
				t.Fatalf("want unique violation, got %v", err)
			}
		})
		t.Run("foreign key violation is recognised", func(t *testing.T) {
			_, err := d.Exec(ctx, "INSERT INTO tags (item_id, tag) VALUES ($1, $2)", 999999, "x")
			if !db.IsForeignKeyViolation(err) {
				t.Fatalf("want fk violation, got %v", err)
			}
		})
		t.Run("times round-trip in UTC to the microsecond", func(t *testing.T) {
			var at int64
			if err := d.QueryRow(ctx, "SELECT at FROM items WHERE id = $1", id).Scan(&at); err != nil {
				t.Fatal(err)
			}
			if got := db.Time(at); !got.Equal(now) || got.Location() != time.UTC {
				t.Fatalf("time = %v, want %v", got, now)
			}
		})
		t.Run("placeholders may repeat and come out of order", func(t *testing.T) {
			var n int
			if err := d.QueryRow(ctx, "SELECT COUNT(*) FROM items WHERE at = $2 AND (name = $1 OR name = $1)", "a", db.Micros(now)).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 1 {
				t.Fatalf("n = %d", n)
			}
		})
		t.Run("rollback changes nothing", func(t *testing.T) {
			boom := errors.New("boom")
			err := d.InTx(ctx, func(tx *db.Tx) error {
				if _, err := tx.Exec(ctx, "INSERT INTO items (name, at) VALUES ($1, $2)", "rolled", 1); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("err = %v", err)
			}
			var n int
			d.QueryRow(ctx, "SELECT COUNT(*) FROM items WHERE name = 'rolled'").Scan(&n)
			if n != 0 {
				t.Fatalf("rolled-back row visible")
			}
		})
		t.Run("concurrent conditional updates: exactly one wins", func(t *testing.T) {
			if _, err := d.Exec(ctx, "INSERT INTO items (name, at, flag) VALUES ('race', 1, 0)"); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			wins := make(chan int, 20)
			for i := 0; i < 20; i++ {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					res, err := d.Exec(ctx, "UPDATE items SET flag = $1 WHERE name = 'race' AND flag = 0", i+1)
					if err != nil {
						t.Error(err)
						return
					}
					if n, _ := res.RowsAffected(); n == 1 {
						wins <- i
					}
				}(i)
			}
			wg.Wait()
			close(wins)
			if len(wins) != 1 {
				t.Fatalf("%d winners, want 1", len(wins))
			}
		})
		t.Run("migrating again is a no-op", func(t *testing.T) {
			if err := d.Migrate(ctx, confSet(t)); err != nil {
				t.Fatal(err)
			}
		})
	})
}

func TestMigrationFileNames(t *testing.T) {
	bad := fstest.MapFS{"sqlite/first.sql": {Data: []byte("SELECT 1;")}}
	d := dbtest.Open(t, db.SQLite)
	if err := d.Migrate(context.Background(), db.Migrations{Name: "bad", FS: bad}); err == nil {
		t.Fatal("want error for a file without a version")
	}
	dup := fstest.MapFS{"sqlite/001_a.sql": {Data: []byte("SELECT 1;")}, "sqlite/001_b.sql": {Data: []byte("SELECT 1;")}}
	if err := d.Migrate(context.Background(), db.Migrations{Name: "dup", FS: dup}); err == nil {
		t.Fatal("want error for duplicate versions")
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:secret@h:5432/db": "postgres://u:xxxxx@h:5432/db",
		"postgres://u@h/db":             "postgres://u@h/db",
		"":                              "",
	} {
		if got := db.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}
