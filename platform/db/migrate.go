package db

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migrations is one feature's schema history: FS holds sqlite/NNN_name.sql
// and postgres/NNN_name.sql. Versions are per feature, so features number
// their files independently.
type Migrations struct {
	Name string // the feature, e.g. "account"; recorded with each version
	FS   fs.FS
}

type migration struct {
	version int
	name    string
	sql     string
}

const migrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	feature    TEXT    NOT NULL,
	version    INTEGER NOT NULL,
	name       TEXT    NOT NULL,
	applied_at BIGINT  NOT NULL,
	PRIMARY KEY (feature, version)
)`

// Migrate applies every feature's pending migrations in order, each in its
// own transaction together with its record in schema_migrations. Features
// are applied in the order given (dependencies first). On PostgreSQL an
// advisory lock serialises nodes that start at once.
func (d *DB) Migrate(ctx context.Context, sets ...Migrations) error {
	if _, err := d.Exec(ctx, migrationsTable); err != nil {
		return fmt.Errorf("db: create schema_migrations: %w", err)
	}
	if d.Dialect == Postgres {
		conn, err := d.w.Conn(ctx)
		if err != nil {
			return fmt.Errorf("db: migration lock: %w", err)
		}
		defer conn.Close()
		// 110110 is an arbitrary constant shared by all open110 nodes.
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(110110)"); err != nil {
			return fmt.Errorf("db: migration lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(110110)") //nolint:errcheck
	}
	for _, set := range sets {
		ms, err := load(set, d.Dialect)
		if err != nil {
			return err
		}
		for _, m := range ms {
			if err := d.apply(ctx, set.Name, m); err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *DB) apply(ctx context.Context, feature string, m migration) error {
	return d.InTx(ctx, func(tx *Tx) error {
		var n int
		if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM schema_migrations WHERE feature = $1 AND version = $2",
			feature, m.version).Scan(&n); err != nil {
			return fmt.Errorf("db: read schema_migrations: %w", err)
		}
		if n > 0 {
			return nil
		}
		// Statements are run one at a time: pgx's extended protocol takes one
		// statement per Exec. Migration files therefore separate statements
		// with a line holding only "-- +statement" or simply ";" line ends.
		for _, stmt := range splitStatements(m.sql) {
			if _, err := tx.tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("db: migration %s/%03d_%s: %w", feature, m.version, m.name, err)
			}
		}
		_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (feature, version, name, applied_at) VALUES ($1, $2, $3, $4)",
			feature, m.version, m.name, Micros(nowUTC()))
		return err
	})
}

func load(set Migrations, dialect Dialect) ([]migration, error) {
	dir := string(dialect)
	entries, err := fs.ReadDir(set.FS, dir)
	if err != nil {
		return nil, fmt.Errorf("db: migrations for %s (%s): %w", set.Name, dialect, err)
	}
	var ms []migration
	seen := map[int]string{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		base := strings.TrimSuffix(e.Name(), ".sql")
		num, name, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("db: migration file %s/%s: want NNN_name.sql", set.Name, e.Name())
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("db: migrations %s and %s share version %d", prev, e.Name(), v)
		}
		seen[v] = e.Name()
		b, err := fs.ReadFile(set.FS, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("db: read migration: %w", err)
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// splitStatements splits a migration file on semicolons at line ends. Our
// migrations hold no procedural code, so this simple rule is enough; a
// statement that needs an inner ";" at a line end is not supported.
func splitStatements(src string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(src, "\n") {
		trim := strings.TrimSpace(line)
		if strings.HasPrefix(trim, "--") || trim == "" {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(trim, ";") {
			s := strings.TrimSpace(cur.String())
			out = append(out, strings.TrimSuffix(s, ";"))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}
