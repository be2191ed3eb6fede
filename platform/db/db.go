// Package db opens open110's relational store — SQLite by default,
// PostgreSQL when the URL says so — behind one small API, and applies each
// feature's embedded migrations.
//
// Conventions every feature keeps so one SQL text runs on both:
//   - placeholders are $1, $2… (rewritten to ?1, ?2… for SQLite);
//   - times are BIGINT microseconds since the Unix epoch, UTC (see Micros);
//   - booleans are INTEGER 0/1; JSON is TEXT; IDs are TEXT we generate;
//   - INSERT … RETURNING and ON CONFLICT work on both.
//
// Schema differences (autoincrement, types) live in the per-dialect
// migration files, not in queries.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect names the SQL backend.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is the store. Writes and transactions go through one pool and plain
// reads through another: on SQLite the writer pool has a single connection
// (SQLite allows one writer at a time; queuing in Go is cheaper and fairer
// than spinning on SQLITE_BUSY) while readers run in parallel under WAL.
// On PostgreSQL both are the same pool.
type DB struct {
	Dialect Dialect
	w, r    *sql.DB
	log     *slog.Logger
	rebind  sync.Map // query text → rewritten text (SQLite only)
	group   committer
	// Prepared statements on SQLite (nil on PostgreSQL, where pgx keeps
	// its own statement cache per connection).
	wstmts, rstmts *stmtCache
}

// Querier is what *DB and *Tx have in common: feature stores take one so the
// same code runs inside and outside a transaction.
type Querier interface {
	Exec(ctx context.Context, query string, args ...any) (sql.Result, error)
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) *sql.Row
}

// Open connects to url: "" or a "sqlite:" / file path selects SQLite in
// dataDir/open110.db (or the given file); "postgres://" or "postgresql://"
// selects PostgreSQL.
func Open(ctx context.Context, url, dataDir string, log *slog.Logger) (*DB, error) {
	if log == nil {
		log = slog.Default()
	}
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return openPostgres(ctx, url, log)
	case url == "":
		return openSQLite(ctx, filepath.Join(dataDir, "open110.db"), log)
	case strings.HasPrefix(url, "sqlite:"):
		return openSQLite(ctx, strings.TrimPrefix(strings.TrimPrefix(url, "sqlite:"), "//"), log)
	default:
		return nil, fmt.Errorf("db: unsupported database URL %q (want postgres://… or empty for SQLite)", Redact(url))
	}
}

func openSQLite(ctx context.Context, path string, log *slog.Logger) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("db: create data dir: %w", err)
	}
	// Pragmas, each for a reason:
	//   journal_mode=WAL    readers never block the writer and vice versa.
	//   synchronous=FULL    an alarm is acknowledged only once durable: FULL
	//                       fsyncs the WAL on every commit, so even a power
	//                       cut after the 201 loses nothing (NORMAL would
	//                       survive a process crash but not a power cut).
	//   busy_timeout=10000  a second process (e.g. `open110 audit verify`)
	//                       waits for the lock instead of failing at once.
	//   foreign_keys=ON     SQLite leaves them off by default; we rely on them.
	//   _txlock=immediate   transactions take the write lock at BEGIN, so two
	//                       writers never deadlock upgrading read locks.
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)" +
		"&_pragma=busy_timeout(10000)&_pragma=foreign_keys(ON)&_txlock=immediate"
	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("db: open sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	r, err := sql.Open("sqlite", dsn+"&_pragma=query_only(ON)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("db: open sqlite reader: %w", err)
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	d := &DB{Dialect: SQLite, w: w, r: r, log: log, wstmts: newStmtCache(w), rstmts: newStmtCache(r)}
	if err := d.Ping(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

func openPostgres(ctx context.Context, url string, log *slog.Logger) (*DB, error) {
	p, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("db: open postgres: %w", err)
	}
	p.SetMaxOpenConns(32)
	p.SetMaxIdleConns(16)
	p.SetConnMaxIdleTime(5 * time.Minute)
	d := &DB{Dialect: Postgres, w: p, r: p, log: log}
	if err := d.Ping(ctx); err != nil {
		p.Close()
		return nil, err
	}
	return d, nil
}

// Ping checks that the database answers (for /readyz).
func (d *DB) Ping(ctx context.Context) error {
	if err := d.w.PingContext(ctx); err != nil {
		return fmt.Errorf("db: ping: %w", err)
	}
	return nil
}

// Close closes both pools.
func (d *DB) Close() error {
	d.wstmts.close()
	d.rstmts.close()
	err := d.w.Close()
	if d.r != d.w {
		err = errors.Join(err, d.r.Close())
	}
	return err
}

// SQL returns the writer pool for code that needs database/sql directly
// (benchmarks, bulk loads). Queries through it are not rebound.
func (d *DB) SQL() *sql.DB { return d.w }

// Q rewrites a query's $N placeholders for the dialect.
func (d *DB) Q(query string) string {
	if d.Dialect != SQLite {
		return query
	}
	if v, ok := d.rebind.Load(query); ok {
		return v.(string)
	}
	out := strings.ReplaceAll(query, "$", "?")
	d.rebind.Store(query, out)
	return out
}

// Exec runs a write outside a transaction.
func (d *DB) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	q := d.Q(query)
	if st := d.wstmts.prepare(ctx, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return d.w.ExecContext(ctx, q, args...)
}

// Query runs a read on the reader pool.
func (d *DB) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	q := d.Q(query)
	if st := d.rstmts.prepare(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return d.r.QueryContext(ctx, q, args...)
}

// QueryRow runs a single-row read on the reader pool.
func (d *DB) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	q := d.Q(query)
	if st := d.rstmts.prepare(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return d.r.QueryRowContext(ctx, q, args...)
}

// WriteRow runs a single-row statement that writes (INSERT … RETURNING,
// UPDATE … RETURNING) on the writer pool, outside a transaction.
func (d *DB) WriteRow(ctx context.Context, query string, args ...any) *sql.Row {
	q := d.Q(query)
	if st := d.wstmts.prepare(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return d.w.QueryRowContext(ctx, q, args...)
}

// Tx is a transaction; it implements Querier.
type Tx struct {
	d  *DB
	tx *sql.Tx
	// detach runs statements without the caller's cancellation: in a
	// group commit on SQLite, interrupting one member's statement could
	// roll back the whole group's transaction, so members' statements run
	// to completion (they are short local writes).
	detach bool
}

func (t *Tx) ctx(ctx context.Context) context.Context {
	if t.detach {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

func (t *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx, q := t.ctx(ctx), t.d.Q(query)
	if st := t.stmt(ctx, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, q, args...)
}

func (t *Tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx, q := t.ctx(ctx), t.d.Q(query)
	if st := t.stmt(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, q, args...)
}

func (t *Tx) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	ctx, q := t.ctx(ctx), t.d.Q(query)
	if st := t.stmt(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, q, args...)
}

// stmt returns the cached prepared statement for q bound to this
// transaction (reusing its preparation on the writer connection), or nil
// after asking the cache to prepare q for next time (see stmtCache).
func (t *Tx) stmt(ctx context.Context, q string) *sql.Stmt {
	st := t.d.wstmts.get(q)
	if st == nil {
		t.d.wstmts.later(q)
		return nil
	}
	return t.tx.StmtContext(ctx, st)
}

// Dialect is the transaction's database dialect.
func (t *Tx) Dialect() Dialect { return t.d.Dialect }

// InTx runs fn in a transaction and commits if fn returns nil; when fn
// returns an error nothing fn wrote is kept. InTx returns only after the
// commit is durable.
//
// On SQLite, which has one writer and fsyncs every commit, concurrent InTx
// calls are group-committed: the first caller to find no commit running
// becomes the committer and runs every waiting fn in one transaction, each
// inside its own SAVEPOINT, so a failing fn rolls back only its own
// changes; one fsync then makes the whole group durable and no caller
// returns before it. fn must not call InTx itself (it would wait for the
// group it is part of). On PostgreSQL each fn has its own transaction and
// a serialization failure or deadlock is retried a few times, so callers
// may use conditional updates without their own retry loops.
func (d *DB) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	if d.Dialect == SQLite {
		return d.group.run(ctx, d, fn)
	}
	const attempts = 5
	var err error
	for i := 0; i < attempts; i++ {
		err = d.inTxOnce(ctx, fn)
		if err == nil || !retryable(err) {
			return err
		}
		time.Sleep(time.Duration(i+1) * 5 * time.Millisecond)
	}
	return err
}

func (d *DB) inTxOnce(ctx context.Context, fn func(tx *Tx) error) (err error) {
	sqlTx, err := d.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	tx := &Tx{d: d, tx: sqlTx}
	defer func() {
		if p := recover(); p != nil {
			_ = sqlTx.Rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("db: commit: %w", err)
	}
	return nil
}

func retryable(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "40001" || pg.Code == "40P01"
	}
	return false
}

// IsUniqueViolation reports whether err is a unique or primary-key
// constraint violation on either backend.
func IsUniqueViolation(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code()
		return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// IsForeignKeyViolation reports whether err is a foreign-key violation.
func IsForeignKeyViolation(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23503"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}

// Micros is t as microseconds since the Unix epoch, the storage form of
// every timestamp. The zero time maps to 0.
func Micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// Time is the inverse of Micros, in UTC; 0 maps to the zero time.
func Time(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// Bool is the storage form of a boolean (INTEGER 0/1 on both backends).
func Bool(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Redact hides the password in a database URL for logs and config dumps.
func Redact(url string) string {
	at := strings.LastIndex(url, "@")
	scheme := strings.Index(url, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return url
	}
	cred := url[scheme+3 : at]
	if i := strings.Index(cred, ":"); i >= 0 {
		return url[:scheme+3] + cred[:i] + ":xxxxx" + url[at:]
	}
	return url
}

// placeholders returns "$start, $start+1, …" n times, for IN lists and
// multi-row inserts.
func Placeholders(start, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(start + i))
	}
	return b.String()
}
