package db

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestStmtCacheSQLite: a statement first run inside a transaction is
// prepared in the background (never from inside the transaction, which
// would wait for its own connection) and then reused by later
// transactions, concurrent ones included; reads are prepared on the reader
// pool; a statement that does not prepare is not kept and still reports
// its error.
func TestStmtCacheSQLite(t *testing.T) {
	ctx := context.Background()
	d, err := Open(ctx, "", t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Exec(ctx, "CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	const ins = "INSERT INTO kv (k, v) VALUES ($1, $2)"
	if err := d.InTx(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, ins, "first", 1)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for d.wstmts.get(d.Q(ins)) == nil {
		if time.Now().After(deadline) {
			t.Fatal("statement seen in a transaction was never prepared")
		}
		time.Sleep(5 * time.Millisecond)
	}
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if err := d.InTx(ctx, func(tx *Tx) error {
				_, err := tx.Exec(ctx, ins, fmt.Sprint("k", i), i)
				return err
			}); err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	var n, sum int
	if err := d.QueryRow(ctx, "SELECT COUNT(*), SUM(v) FROM kv").Scan(&n, &sum); err != nil {
		t.Fatal(err)
	}
	if n != 51 || sum != 1+49*50/2 {
		t.Fatalf("rows %d sum %d", n, sum)
	}
	if d.rstmts.get("SELECT COUNT(*), SUM(v) FROM kv") == nil {
		t.Fatal("read not prepared on the reader pool")
	}
	// A duplicate through the cached statement fails as before.
	err = d.InTx(ctx, func(tx *Tx) error { _, err := tx.Exec(ctx, ins, "k1", 0); return err })
	if !IsUniqueViolation(err) {
		t.Fatalf("duplicate through a cached statement: %v", err)
	}
	const bad = "INSERT INTO missing_table (x) VALUES ($1)"
	for i := 0; i < 2; i++ {
		err := d.InTx(ctx, func(tx *Tx) error { _, err := tx.Exec(ctx, bad, 1); return err })
		if err == nil {
			t.Fatal("insert into a missing table succeeded")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if d.wstmts.get(d.Q(bad)) != nil {
		t.Fatal("a statement that does not prepare was cached")
	}
}
