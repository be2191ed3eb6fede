package db_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"open110/platform/db"
	"open110/platform/db/dbtest"
)

// TestInTxConcurrent: many concurrent transactions, some failing, one
// panicking. Exactly the successful ones' writes are kept, each failure
// is reported to its own caller, and a panic reaches its own goroutine.
// On SQLite this exercises the group commit.
func TestInTxConcurrent(t *testing.T) {
	dbtest.Each(t, []db.Migrations{confSet(t)}, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		const n = 200
		boom := errors.New("boom")
		errs := make([]error, n)
		panics := make([]any, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				defer func() { panics[i] = recover() }()
				errs[i] = d.InTx(ctx, func(tx *db.Tx) error {
					if _, err := tx.Exec(ctx, "INSERT INTO items (name, at) VALUES ($1, $2)", fmt.Sprintf("g%d", i), i); err != nil {
						return err
					}
					switch {
					case i%10 == 3:
						return boom // its insert must vanish
					case i == 77:
						panic("member panicked")
					case i%10 == 5:
						// a constraint error inside a group member
						_, err := tx.Exec(ctx, "INSERT INTO items (name, at) VALUES ($1, $2)", fmt.Sprintf("g%d", i), i)
						return err
					}
					return nil
				})
			}(i)
		}
		wg.Wait()
		want := 0
		for i := 0; i < n; i++ {
			switch {
			case i%10 == 3:
				if !errors.Is(errs[i], boom) {
					t.Errorf("%d: err %v, want boom", i, errs[i])
				}
			case i == 77:
				if panics[i] != "member panicked" {
					t.Errorf("panic not delivered to its caller: %v", panics[i])
				}
			case i%10 == 5:
				if !db.IsUniqueViolation(errs[i]) {
					t.Errorf("%d: err %v, want unique violation", i, errs[i])
				}
			default:
				if errs[i] != nil || panics[i] != nil {
					t.Errorf("%d: %v %v", i, errs[i], panics[i])
				}
				want++
			}
		}
		var got int
		if err := d.QueryRow(ctx, "SELECT COUNT(*) FROM items WHERE name LIKE 'g%'").Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("%d rows kept, want %d", got, want)
		}
	})
}

func TestInTxCancelledBeforeStart(t *testing.T) {
	d := dbtest.Open(t, db.SQLite, confSet(t))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	err := d.InTx(ctx, func(tx *db.Tx) error { called = true; return nil })
	if !errors.Is(err, context.Canceled) || called {
		t.Fatalf("err %v, called %v", err, called)
	}
}

func BenchmarkInTxParallel(b *testing.B) {
	for _, dialect := range []db.Dialect{db.SQLite, db.Postgres} {
		b.Run(string(dialect), func(b *testing.B) {
			sub := confSetB(b)
			d := dbtest.Open(b, dialect, sub)
			ctx := context.Background()
			var mu sync.Mutex
			i := 0
			b.SetParallelism(16)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					mu.Lock()
					i++
					name := fmt.Sprintf("b%d", i)
					mu.Unlock()
					if err := d.InTx(ctx, func(tx *db.Tx) error {
						_, err := tx.Exec(ctx, "INSERT INTO items (name, at) VALUES ($1, $2)", name, 1)
						return err
					}); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
