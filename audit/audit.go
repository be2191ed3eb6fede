// Package audit is open110's append-only, hash-chained audit log. Every
// sign-in, failed sign-in, administrative change and sensitive read (a
// tipster's identity, trip data pulled after an alarm, evidence playback)
// appends an entry. Each entry's hash covers its fields and the previous
// entry's hash, so editing, deleting or reordering entries breaks the chain
// from that point, and Verify names the first bad entry.
package audit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"open110/platform/db"
)

//go:embed migrations
var migrationsFS embed.FS

// Migrations is the audit log's schema.
func Migrations() db.Migrations {
	sub, _ := fs.Sub(migrationsFS, "migrations")
	return db.Migrations{Name: "audit", FS: sub}
}

// Entry is one audit record.
type Entry struct {
	Seq       int64          `json:"seq"`
	At        time.Time      `json:"at"`
	Actor     string         `json:"actor"`      // "officer:d130102", "citizen:<id>", "system"
	ActorIP   string         `json:"actor_ip"`   // the IP the actor's session signed in from
	RequestIP string         `json:"request_ip"` // the IP of the request that caused the entry
	Action    string         `json:"action"`     // dotted verb, e.g. "auth.login", "tip.identity.reveal"
	Object    string         `json:"object"`     // "alarm:<id>", "tip:<id>", "officer:<username>"
	Subject   string         `json:"subject"`    // whose data it is, e.g. "citizen:<id>" (for PIPL access views)
	Reason    string         `json:"reason"`
	Detail    map[string]any `json:"detail,omitempty"`
	PrevHash  string         `json:"prev_hash"`
	Hash      string         `json:"hash"`
}

// Log appends to and reads the audit log.
type Log struct {
	db  *db.DB
	now func() time.Time
}

// New returns the audit log on d. now may be nil for time.Now.
func New(d *db.DB, now func() time.Time) *Log {
	if now == nil {
		now = time.Now
	}
	return &Log{db: d, now: now}
}

// genesis is the previous hash of the first entry.
const genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// Append adds e in its own transaction and returns it with Seq, At and
// hashes filled in.
func (l *Log) Append(ctx context.Context, e Entry) (Entry, error) {
	var out Entry
	err := l.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		out, err = l.AppendTx(ctx, tx, e)
		return err
	})
	return out, err
}

// AppendTx adds e inside the caller's transaction, so the audited change and
// its entry commit or roll back together.
func (l *Log) AppendTx(ctx context.Context, tx *db.Tx, e Entry) (Entry, error) {
	if e.Action == "" || e.Actor == "" {
		return Entry{}, errors.New("audit: entry needs an actor and an action")
	}
	if tx.Dialect() == db.Postgres {
		// Serialise appenders across nodes: each entry links to the last.
		// 110111 is an arbitrary constant shared by all open110 nodes.
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(110111)"); err != nil {
			return Entry{}, fmt.Errorf("audit: lock: %w", err)
		}
	}
	var lastSeq int64
	prev := genesis
	err := tx.QueryRow(ctx, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").Scan(&lastSeq, &prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Entry{}, fmt.Errorf("audit: read head: %w", err)
	}
	e.Seq = lastSeq + 1
	e.At = l.now().UTC().Truncate(time.Microsecond)
	e.PrevHash = prev
	detail, err := canonicalDetail(e.Detail)
	if err != nil {
		return Entry{}, err
	}
	e.Hash = hashEntry(e, detail)
	_, err = tx.Exec(ctx, `INSERT INTO audit_log (seq, at, actor, actor_ip, request_ip, action, object, subject, reason, detail, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		e.Seq, db.Micros(e.At), e.Actor, e.ActorIP, e.RequestIP, e.Action, e.Object, e.Subject, e.Reason, detail, e.PrevHash, e.Hash)
	if err != nil {
		return Entry{}, fmt.Errorf("audit: append: %w", err)
	}
	return e, nil
}

// canonicalDetail renders detail as JSON with sorted keys (encoding/json
// sorts map keys), the form that is hashed and stored.
func canonicalDetail(d map[string]any) (string, error) {
	if len(d) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("audit: detail: %w", err)
	}
	return string(b), nil
}

// hashEntry is SHA-256 over the previous hash and every field, each
// length-prefixed so no two field lists hash alike.
func hashEntry(e Entry, detail string) string {
	h := sha256.New()
	for _, f := range []string{
		e.PrevHash, strconv.FormatInt(e.Seq, 10), strconv.FormatInt(db.Micros(e.At), 10),
		e.Actor, e.ActorIP, e.RequestIP, e.Action, e.Object, e.Subject, e.Reason, detail,
	} {
		h.Write([]byte(strconv.Itoa(len(f))))
		h.Write([]byte{':'})
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Filter selects entries for List. Empty fields match everything.
type Filter struct {
	Actor, Action, Object, Subject string // Action and Object also match by prefix with a trailing "*"
	From, To                       time.Time
	AfterSeq                       int64 // cursor: entries with seq > AfterSeq
	Limit                          int   // default 100, at most 1000
}

// List returns entries matching f in sequence order.
func (l *Log) List(ctx context.Context, f Filter) ([]Entry, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	match := func(col, v string) {
		if v == "" {
			return
		}
		if p, ok := strings.CutSuffix(v, "*"); ok {
			add(col+" LIKE ?", escapeLike(p)+"%")
			return
		}
		add(col+" = ?", v)
	}
	match("actor", f.Actor)
	match("action", f.Action)
	match("object", f.Object)
	match("subject", f.Subject)
	if !f.From.IsZero() {
		add("at >= ?", db.Micros(f.From))
	}
	if !f.To.IsZero() {
		add("at < ?", db.Micros(f.To))
	}
	add("seq > ?", f.AfterSeq)
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	q := "SELECT seq, at, actor, actor_ip, request_ip, action, object, subject, reason, detail, prev_hash, hash FROM audit_log WHERE " +
		strings.Join(where, " AND ") + " ORDER BY seq LIMIT " + strconv.Itoa(limit)
	rows, err := l.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("audit: list: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		e, _, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func escapeLike(s string) string {
	return strings.NewReplacer(`%`, ``, `_`, ``).Replace(s)
}

func scan(rows *sql.Rows) (Entry, string, error) {
	var e Entry
	var at int64
	var detail string
	if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.ActorIP, &e.RequestIP, &e.Action, &e.Object, &e.Subject,
		&e.Reason, &detail, &e.PrevHash, &e.Hash); err != nil {
		return e, "", fmt.Errorf("audit: scan: %w", err)
	}
	e.At = db.Time(at)
	if detail != "{}" && detail != "" {
		if err := json.Unmarshal([]byte(detail), &e.Detail); err != nil {
			// Keep the raw text visible rather than hiding a damaged entry.
			e.Detail = map[string]any{"_raw": detail}
		}
	}
	return e, detail, nil
}

// VerifyResult is the outcome of walking the chain.
type VerifyResult struct {
	Entries  int64  `json:"entries"`   // entries checked
	OK       bool   `json:"ok"`        // the whole chain is intact
	BadSeq   int64  `json:"bad_seq"`   // first bad entry's sequence number (0 when OK)
	Problem  string `json:"problem"`   // what is wrong with it
	HeadHash string `json:"head_hash"` // hash of the last good entry
}

// Verify walks the whole chain in sequence order and reports the first
// entry that was edited (its hash no longer matches), deleted (a gap in the
// sequence or a broken link) or reordered (a link to the wrong predecessor).
func (l *Log) Verify(ctx context.Context) (VerifyResult, error) {
	rows, err := l.db.Query(ctx, "SELECT seq, at, actor, actor_ip, request_ip, action, object, subject, reason, detail, prev_hash, hash FROM audit_log ORDER BY seq")
	if err != nil {
		return VerifyResult{}, fmt.Errorf("audit: verify: %w", err)
	}
	defer rows.Close()
	res := VerifyResult{OK: true, HeadHash: genesis}
	prev, wantSeq := genesis, int64(1)
	for rows.Next() {
		e, detail, err := scan(rows)
		if err != nil {
			return res, err
		}
		bad := func(problem string) (VerifyResult, error) {
			res.OK, res.BadSeq, res.Problem = false, e.Seq, problem
			return res, nil
		}
		switch {
		case e.Seq != wantSeq:
			return bad(fmt.Sprintf("expected entry %d next, found %d: entries deleted or reordered", wantSeq, e.Seq))
		case e.PrevHash != prev:
			return bad("previous-hash link broken: an earlier entry was changed, removed or reordered")
		case hashEntry(e, detail) != e.Hash:
			return bad("hash does not match the entry's content: the entry was edited")
		}
		res.Entries++
		prev, wantSeq = e.Hash, e.Seq+1
		res.HeadHash = e.Hash
	}
	return res, rows.Err()
}
