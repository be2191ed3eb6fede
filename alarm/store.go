package alarm

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"open110/account"
	"strings"

	"open110/geo"
	"open110/platform/db"
)

//go:embed migrations
var migrationsFS embed.FS

// Migrations is the alarm schema.
func Migrations() db.Migrations {
	sub, _ := fs.Sub(migrationsFS, "migrations")
	return db.Migrations{Name: "alarm", FS: sub}
}

// eventLock serialises alarm event writers on PostgreSQL so that seq order
// is commit order: a feed that has read seq N can never later see a
// smaller seq commit. The lock is taken just before the first event insert
// and released at commit. (SQLite has one writer; nothing to do.)
// 110112 is an arbitrary constant shared by all open110 nodes.
const eventLock = 110112

// alarmCols is the column list scanAlarm reads, in order.
const alarmCols = `id, kind, state, center, home_center, routing, overflow_level, caller_id, caller_phone,
	raised_by, raised_by_id, links, lat, lng, accuracy_m, loc_source, loc_seq, last_pos_seq, msg_seq,
	suspected, suspicion, raised_at, queued_at, answered_at, answered_by, ended_at, disposition, last_seq,
	idem_key, client_ip, first_answered_at`

// row is an alarm as stored, with the fields the API does not show.
type row struct {
	Alarm
	HomeCenter      string
	RaisedByID      string
	MsgSeq          int64
	IdemKey         string
	ClientIP        string
	FirstAnsweredAt int64
	Active          []string // active offer centres, owner first
	Past            []string // inactive offers
}

func (r *row) view() View {
	return View{State: r.State, CallerID: r.CallerID, RaisedByID: r.RaisedByID, Active: r.Active, Past: r.Past, AnsweredBy: r.AnsweredBy}
}

type scanner interface{ Scan(dest ...any) error }

func scanAlarm(sc scanner) (*row, error) {
	var (
		r                                       row
		routing, links, suspicion, locSource    string
		lat, lng, acc                           sql.NullFloat64
		suspected                               int
		raisedAt, queuedAt, answeredAt, endedAt int64
		kind, state, center                     string
	)
	err := sc.Scan(&r.ID, &kind, &state, &center, &r.HomeCenter, &routing, &r.Overflow, &r.CallerID, &r.CallerPhone,
		&r.RaisedBy, &r.RaisedByID, &links, &lat, &lng, &acc, &locSource, &r.LocationSeq, &r.LatestSeq, &r.MsgSeq,
		&suspected, &suspicion, &raisedAt, &queuedAt, &answeredAt, &r.AnsweredBy, &endedAt, &r.Disposition, &r.Cursor,
		&r.IdemKey, &r.ClientIP, &r.FirstAnsweredAt)
	if err != nil {
		return nil, err
	}
	r.Kind, r.State, r.Center = Kind(kind), State(state), centerOf(center)
	if err := json.Unmarshal([]byte(routing), &r.Routing); err != nil {
		return nil, fmt.Errorf("alarm %s: routing: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(links), &r.Links); err != nil {
		return nil, fmt.Errorf("alarm %s: links: %w", r.ID, err)
	}
	if len(r.Links) == 0 {
		r.Links = nil
	}
	if err := json.Unmarshal([]byte(suspicion), &r.Suspicion); err != nil {
		return nil, fmt.Errorf("alarm %s: suspicion: %w", r.ID, err)
	}
	r.Suspected = suspected != 0
	if lat.Valid && lng.Valid {
		r.Location = &Position{Lat: lat.Float64, Lng: lng.Float64, AccuracyM: acc.Float64, Source: locSource}
	}
	r.RaisedAt, r.QueuedAt = db.Time(raisedAt), db.Time(queuedAt)
	if answeredAt != 0 {
		t := db.Time(answeredAt)
		r.AnsweredAt = &t
	}
	if endedAt != 0 {
		t := db.Time(endedAt)
		r.EndedAt = &t
	}
	return &r, nil
}

// centerOf names a centre code.
func centerOf(code string) Center {
	if u, ok := geo.UnitByCode(code); ok {
		return Center{Code: code, Name: account.CenterName(u.Name, string(u.Level))}
	}
	return Center{Code: code, Name: code}
}

// loadRow reads one alarm and its offers through q. On PostgreSQL inside a
// transaction (lock true) the alarm row is locked FOR UPDATE so concurrent
// mutations of one alarm queue up instead of racing.
func loadRow(ctx context.Context, q db.Querier, dialect db.Dialect, id string, lock bool) (*row, error) {
	query := "SELECT " + alarmCols + " FROM alarms WHERE id = $1"
	if lock && dialect == db.Postgres {
		query += " FOR UPDATE"
	}
	r, err := scanAlarm(q.QueryRow(ctx, query, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("alarm: load %s: %w", id, err)
	}
	if err := loadOffers(ctx, q, []*row{r}); err != nil {
		return nil, err
	}
	return r, nil
}

// loadOffers fills Active, Past and OfferedTo for rows.
func loadOffers(ctx context.Context, q db.Querier, rows []*row) error {
	if len(rows) == 0 {
		return nil
	}
	byID := make(map[string]*row, len(rows))
	args := make([]any, 0, len(rows))
	for _, r := range rows {
		byID[r.ID] = r
		r.Active = []string{r.Center.Code}
		r.Past, r.OfferedTo = nil, nil
		args = append(args, r.ID)
	}
	rs, err := q.Query(ctx, "SELECT alarm_id, center, active FROM alarm_offers WHERE alarm_id IN ("+db.Placeholders(1, len(args))+") ORDER BY at, center", args...)
	if err != nil {
		return fmt.Errorf("alarm: load offers: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		var id, c string
		var active int
		if err := rs.Scan(&id, &c, &active); err != nil {
			return fmt.Errorf("alarm: scan offer: %w", err)
		}
		r := byID[id]
		switch {
		case r == nil || c == r.Center.Code:
		case active != 0:
			r.Active = append(r.Active, c)
			r.OfferedTo = append(r.OfferedTo, centerOf(c))
		default:
			r.Past = append(r.Past, c)
		}
	}
	return rs.Err()
}

// wtx is a write transaction plus what to publish after it commits.
type wtx struct {
	*db.Tx
	s       *Service
	locked  bool
	changes []Change
}

// event appends an event about r (already updated in the database and in
// memory) and records the wake-up to publish after commit.
func (w *wtx) event(ctx context.Context, r *row, typ, actor, reason string, staff bool, data map[string]any) (int64, error) {
	if !w.locked && w.Dialect() == db.Postgres {
		if _, err := w.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", eventLock); err != nil {
			return 0, fmt.Errorf("alarm: event lock: %w", err)
		}
		w.locked = true
	}
	summary := r.Alarm
	summary.Cursor = 0
	payload := map[string]any{"alarm": summary}
	for k, v := range data {
		payload[k] = v
	}
	b, err := json.Marshal(payload)
	if err != nil {
		return 0, fmt.Errorf("alarm: encode event: %w", err)
	}
	now := w.s.now()
	var seq int64
	err = w.QueryRow(ctx, `INSERT INTO alarm_events (alarm_id, type, at, actor, reason, staff, data)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING seq`,
		r.ID, typ, db.Micros(now), actor, reason, db.Bool(staff), string(b)).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("alarm: append event: %w", err)
	}
	if _, err := w.Exec(ctx, "UPDATE alarms SET last_seq = $1 WHERE id = $2", seq, r.ID); err != nil {
		return 0, fmt.Errorf("alarm: bump cursor: %w", err)
	}
	r.Cursor = seq
	centers := append(append([]string{}, r.Active...), r.Past...)
	w.changes = append(w.changes, Change{Seq: seq, AlarmID: r.ID, Type: typ, State: r.State, Kind: r.Kind, Center: r.Center.Code, Centers: centers})
	return seq, nil
}

// addOffer offers r to centre c from event seq on (or reactivates it).
func (w *wtx) addOffer(ctx context.Context, r *row, c, reason string, seq int64) error {
	_, err := w.Exec(ctx, `INSERT INTO alarm_offers (alarm_id, center, reason, active, from_seq, until_seq, at)
		VALUES ($1, $2, $3, 1, $4, 0, $5)
		ON CONFLICT (alarm_id, center) DO UPDATE SET active = 1, until_seq = 0, reason = excluded.reason`,
		r.ID, c, reason, seq, db.Micros(w.s.now()))
	if err != nil {
		return fmt.Errorf("alarm: offer %s to %s: %w", r.ID, c, err)
	}
	return nil
}

// mutate runs fn on alarm id inside a transaction and publishes the
// resulting wake-ups after commit.
func (s *Service) mutate(ctx context.Context, id string, fn func(w *wtx, r *row) error) (*row, error) {
	var out *row
	err := s.inTx(ctx, func(w *wtx) error {
		r, err := loadRow(ctx, w, s.db.Dialect, id, true)
		if err != nil {
			return err
		}
		if err := fn(w, r); err != nil {
			return err
		}
		out = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// inTx runs fn in a write transaction, then publishes its wake-ups once
// the changes are durable. (On SQLite, db.InTx group-commits concurrent
// writers: one fsync acknowledges the whole group.)
func (s *Service) inTx(ctx context.Context, fn func(w *wtx) error) error {
	var changes []Change
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		w := &wtx{Tx: tx, s: s}
		if err := fn(w); err != nil {
			return err
		}
		changes = w.changes
		return nil
	})
	if err == nil {
		s.publish(ctx, changes)
	}
	return err
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only our own plain types are encoded here
	}
	return string(b)
}

func nullF(p *Position, f func(Position) float64) any {
	if p == nil {
		return nil
	}
	return f(*p)
}

func trimText(s string) string { return strings.TrimSpace(strings.ToValidUTF8(s, "")) }
