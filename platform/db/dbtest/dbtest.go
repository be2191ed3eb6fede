// Package dbtest gives tests real databases: a fresh SQLite file, and a
// fresh PostgreSQL database when OPEN110_TEST_POSTGRES names a server
// (e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable).
// Every store test runs through Each, so both backends pass the same suite.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"open110/platform/db"
)

// EnvPostgres names the variable that enables the PostgreSQL half.
const EnvPostgres = "OPEN110_TEST_POSTGRES"

// Each runs fn once per backend, as subtests "sqlite" and "postgres", each
// with a fresh, migrated database.
func Each(t *testing.T, sets []db.Migrations, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, Open(t, db.SQLite, sets...)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Open(t, db.Postgres, sets...)) })
}

// Open returns a fresh migrated database of the dialect, closed (and for
// PostgreSQL dropped) when the test ends. The PostgreSQL case skips the test
// when OPEN110_TEST_POSTGRES is unset.
func Open(t testing.TB, dialect db.Dialect, sets ...db.Migrations) *db.DB {
	t.Helper()
	ctx := context.Background()
	url := URL(t, dialect)
	d, err := db.Open(ctx, url, t.TempDir(), nil)
	if err != nil {
		t.Fatalf("open %s: %v", dialect, err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.Migrate(ctx, sets...); err != nil {
		t.Fatalf("migrate %s: %v", dialect, err)
	}
	return d
}

// URL returns a database URL for a fresh, empty database of the dialect
// (for tests that start whole processes). SQLite: a file in a temp dir.
func URL(t testing.TB, dialect db.Dialect) string {
	t.Helper()
	if dialect == db.SQLite {
		return "sqlite:" + t.TempDir() + "/test.db"
	}
	base := os.Getenv(EnvPostgres)
	if base == "" {
		t.Skipf("PostgreSQL half skipped: set %s=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", EnvPostgres)
	}
	name := "open110_t_" + randHex(6)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("drop database %s: %v", name, err)
		}
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvPostgres, err)
	}
	u.Path = "/" + name
	return u.String()
}

func randHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return hex.EncodeToString(b)
}
