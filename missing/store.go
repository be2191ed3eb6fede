package missing

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"open110/platform/db"
)

//go:embed migrations
var migrationsFS embed.FS

// Migrations is the feature's schema (after audit and account).
func Migrations() db.Migrations {
	sub, _ := fs.Sub(migrationsFS, "migrations")
	return db.Migrations{Name: "missing", FS: sub}
}

// notice is a row of missing_notices.
type notice struct {
	ID, CitizenID, Center, Unit, UnitPhone, CaseNumber string
	State                                              State
	P                                                  person
	LastSeenAt                                         time.Time
	Lat, Lng, Acc                                      float64
	Place, PlacePublic, City, County                   string
	InitName, Relation, Contact, Address               string
	CreatedAt, UpdatedAt                               time.Time
	Verifier                                           string
	Checks                                             string // JSON
	RejectReason                                       string
	PublishedAt, ClosedAt                              time.Time
	Outcome                                            Outcome
	ClosureNotice, CoverSHA                            string
	AlertRadiusKm                                      int
	NextRingAt                                         time.Time
	Sightings                                          int
}

const noticeCols = `id, citizen_id, state, center_code, unit_code, unit_phone, case_number, person_name, sex, age, birth_date,
	height_cm, build, features, clothing, last_seen_at, lat, lng, accuracy_m, place, place_public, city_code, county_code,
	initiator_name, relation, contact_phone, home_address, created_at, updated_at, verifier, checks, reject_reason,
	published_at, closed_at, outcome, closure_notice, cover_sha, alert_radius_km, next_ring_at, sightings`

type scanner interface{ Scan(dest ...any) error }

func scanNotice(r scanner) (notice, error) {
	var n notice
	var lastSeen, created, updated, published, closed, nextRing int64
	var state, outcome string
	err := r.Scan(&n.ID, &n.CitizenID, &state, &n.Center, &n.Unit, &n.UnitPhone, &n.CaseNumber, &n.P.name, &n.P.sex, &n.P.age,
		&n.P.birthDate, &n.P.heightCm, &n.P.build, &n.P.features, &n.P.clothing, &lastSeen, &n.Lat, &n.Lng, &n.Acc, &n.Place,
		&n.PlacePublic, &n.City, &n.County, &n.InitName, &n.Relation, &n.Contact, &n.Address, &created, &updated, &n.Verifier,
		&n.Checks, &n.RejectReason, &published, &closed, &outcome, &n.ClosureNotice, &n.CoverSHA, &n.AlertRadiusKm, &nextRing, &n.Sightings)
	if err != nil {
		return n, err
	}
	n.State, n.Outcome = State(state), Outcome(outcome)
	n.LastSeenAt, n.CreatedAt, n.UpdatedAt = db.Time(lastSeen), db.Time(created), db.Time(updated)
	n.PublishedAt, n.ClosedAt, n.NextRingAt = db.Time(published), db.Time(closed), db.Time(nextRing)
	return n, nil
}

// getNotice reads one notice. Errors: ErrNotFound.
func getNotice(ctx context.Context, q db.Querier, id string) (notice, error) {
	n, err := scanNotice(q.QueryRow(ctx, "SELECT "+noticeCols+" FROM missing_notices WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return n, ErrNotFound
	}
	if err != nil {
		return n, fmt.Errorf("missing: read notice: %w", err)
	}
	return n, nil
}

func queryNotices(ctx context.Context, q db.Querier, where string, args ...any) ([]notice, error) {
	return queryNoticesFrom(ctx, q, "missing_notices", where, args...)
}

// queryNoticesFrom reads notices from a table expression (a subquery).
func queryNoticesFrom(ctx context.Context, q db.Querier, from, where string, args ...any) ([]notice, error) {
	rows, err := q.Query(ctx, "SELECT "+noticeCols+" FROM "+from+" "+where, args...)
	if err != nil {
		return nil, fmt.Errorf("missing: list notices: %w", err)
	}
	defer rows.Close()
	var out []notice
	for rows.Next() {
		n, err := scanNotice(rows)
		if err != nil {
			return nil, fmt.Errorf("missing: scan notice: %w", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

func insertNotice(ctx context.Context, tx *db.Tx, n notice) error {
	_, err := tx.Exec(ctx, `INSERT INTO missing_notices (`+noticeCols+`) VALUES (`+db.Placeholders(1, 40)+`)`,
		n.ID, n.CitizenID, string(n.State), n.Center, n.Unit, n.UnitPhone, n.CaseNumber, n.P.name, n.P.sex, n.P.age,
		n.P.birthDate, n.P.heightCm, n.P.build, n.P.features, n.P.clothing, db.Micros(n.LastSeenAt), n.Lat, n.Lng, n.Acc, n.Place,
		n.PlacePublic, n.City, n.County, n.InitName, n.Relation, n.Contact, n.Address, db.Micros(n.CreatedAt), db.Micros(n.UpdatedAt),
		n.Verifier, n.Checks, n.RejectReason, db.Micros(n.PublishedAt), db.Micros(n.ClosedAt), string(n.Outcome), n.ClosureNotice,
		n.CoverSHA, n.AlertRadiusKm, db.Micros(n.NextRingAt), n.Sightings)
	if db.IsUniqueViolation(err) {
		return ErrDuplicateCase
	}
	if err != nil {
		return fmt.Errorf("missing: insert notice: %w", err)
	}
	return nil
}

// updateState moves a notice from one state to another if it is still in
// from (a conditional update: two officers acting at once get one success
// and one invalid_state). set holds extra "col = $n" assignments numbered
// from $4.
func updateState(ctx context.Context, tx *db.Tx, id string, from, to State, now time.Time, set string, args ...any) error {
	q := "UPDATE missing_notices SET state = $1, updated_at = $2" + set + " WHERE id = $3 AND state = $" + fmt.Sprint(4+len(args))
	all := append([]any{string(to), db.Micros(now), id}, args...)
	all = append(all, string(from))
	res, err := tx.Exec(ctx, q, all...)
	if err != nil {
		return fmt.Errorf("missing: update state: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrBadState.Msg("the notice is no longer %s", from)
	}
	return nil
}

// event is a row of missing_events.
type event struct {
	Seq          int64          `json:"seq"`
	NoticeID     string         `json:"notice_id"`
	Center       string         `json:"-"`
	CitizenID    string         `json:"-"`
	Kind         string         `json:"kind"`
	RadiusKm     int            `json:"radius_km,omitempty"`
	PrevRadiusKm int            `json:"prev_radius_km,omitempty"`
	Lat          float64        `json:"-"`
	Lng          float64        `json:"-"`
	At           time.Time      `json:"at"`
	Detail       map[string]any `json:"detail,omitempty"`
}

// addEvent appends an event in tx. On PostgreSQL writers take an advisory
// transaction lock first, so seqs become visible in order and a reader's
// cursor never skips a seq that commits late (SQLite has one writer).
func addEvent(ctx context.Context, tx *db.Tx, e event) (int64, error) {
	if tx.Dialect() == db.Postgres {
		// 110117 is an arbitrary constant shared by all open110 nodes.
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(110117)"); err != nil {
			return 0, fmt.Errorf("missing: event lock: %w", err)
		}
	}
	detail := "{}"
	if len(e.Detail) > 0 {
		b, err := json.Marshal(e.Detail)
		if err != nil {
			return 0, fmt.Errorf("missing: event detail: %w", err)
		}
		detail = string(b)
	}
	var seq int64
	err := tx.QueryRow(ctx, `INSERT INTO missing_events (notice_id, center_code, citizen_id, kind, radius_km, prev_radius_km, lat, lng, at, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING seq`,
		e.NoticeID, e.Center, e.CitizenID, e.Kind, e.RadiusKm, e.PrevRadiusKm, e.Lat, e.Lng, db.Micros(e.At), detail).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("missing: add event: %w", err)
	}
	return seq, nil
}

const eventCols = "seq, notice_id, center_code, citizen_id, kind, radius_km, prev_radius_km, lat, lng, at, detail"

func queryEvents(ctx context.Context, q db.Querier, where string, args ...any) ([]event, error) {
	rows, err := q.Query(ctx, "SELECT "+eventCols+" FROM missing_events "+where, args...)
	if err != nil {
		return nil, fmt.Errorf("missing: events: %w", err)
	}
	defer rows.Close()
	var out []event
	for rows.Next() {
		var e event
		var at int64
		var detail string
		if err := rows.Scan(&e.Seq, &e.NoticeID, &e.Center, &e.CitizenID, &e.Kind, &e.RadiusKm, &e.PrevRadiusKm, &e.Lat, &e.Lng, &at, &detail); err != nil {
			return nil, fmt.Errorf("missing: scan event: %w", err)
		}
		e.At = db.Time(at)
		if detail != "{}" && detail != "" {
			_ = json.Unmarshal([]byte(detail), &e.Detail) // written by addEvent: always an object
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// media is a row of missing_media.
type media struct {
	NoticeID, SHA256, Kind, ContentType string
	Size                                int64
	AddedAt                             time.Time
}

func listMedia(ctx context.Context, q db.Querier, noticeID string) ([]media, error) {
	rows, err := q.Query(ctx, "SELECT notice_id, sha256, kind, content_type, size, added_at FROM missing_media WHERE notice_id = $1 ORDER BY added_at, sha256", noticeID)
	if err != nil {
		return nil, fmt.Errorf("missing: list media: %w", err)
	}
	defer rows.Close()
	var out []media
	for rows.Next() {
		var m media
		var at int64
		if err := rows.Scan(&m.NoticeID, &m.SHA256, &m.Kind, &m.ContentType, &m.Size, &at); err != nil {
			return nil, fmt.Errorf("missing: scan media: %w", err)
		}
		m.AddedAt = db.Time(at)
		out = append(out, m)
	}
	return out, rows.Err()
}

// sighting is a row of missing_sightings.
type sighting struct {
	ID, NoticeID, Center, CitizenID, Phone string
	Anonymous                              bool
	Body                                   string
	SeenAt                                 time.Time
	HasPosition                            bool
	Lat, Lng, Acc                          float64
	PhotoSHA, PhotoType                    string
	Status                                 SightingStatus
	TriageNote, TriagedBy                  string
	TriagedAt, CreatedAt                   time.Time
}

const sightingCols = `id, notice_id, center_code, citizen_id, phone, anonymous, body, seen_at, has_position, lat, lng, accuracy_m,
	photo_sha, photo_type, status, triage_note, triaged_by, triaged_at, created_at`

func scanSighting(r scanner) (sighting, error) {
	var s sighting
	var anon, hasPos int
	var seen, triaged, created int64
	var status string
	err := r.Scan(&s.ID, &s.NoticeID, &s.Center, &s.CitizenID, &s.Phone, &anon, &s.Body, &seen, &hasPos, &s.Lat, &s.Lng, &s.Acc,
		&s.PhotoSHA, &s.PhotoType, &status, &s.TriageNote, &s.TriagedBy, &triaged, &created)
	s.Anonymous, s.HasPosition, s.Status = anon == 1, hasPos == 1, SightingStatus(status)
	s.SeenAt, s.TriagedAt, s.CreatedAt = db.Time(seen), db.Time(triaged), db.Time(created)
	return s, err
}

func getSighting(ctx context.Context, q db.Querier, id string) (sighting, error) {
	s, err := scanSighting(q.QueryRow(ctx, "SELECT "+sightingCols+" FROM missing_sightings WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return s, ErrSightingNotFound
	}
	if err != nil {
		return s, fmt.Errorf("missing: read sighting: %w", err)
	}
	return s, nil
}

func listSightings(ctx context.Context, q db.Querier, noticeID string) ([]sighting, error) {
	rows, err := q.Query(ctx, "SELECT "+sightingCols+" FROM missing_sightings WHERE notice_id = $1 ORDER BY created_at DESC, id DESC", noticeID)
	if err != nil {
		return nil, fmt.Errorf("missing: list sightings: %w", err)
	}
	defer rows.Close()
	var out []sighting
	for rows.Next() {
		s, err := scanSighting(rows)
		if err != nil {
			return nil, fmt.Errorf("missing: scan sighting: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// sightingCounts counts a notice's sightings by triage status.
func sightingCounts(ctx context.Context, q db.Querier, noticeID string) (map[SightingStatus]int, error) {
	rows, err := q.Query(ctx, "SELECT status, COUNT(*) FROM missing_sightings WHERE notice_id = $1 GROUP BY status", noticeID)
	if err != nil {
		return nil, fmt.Errorf("missing: count sightings: %w", err)
	}
	defer rows.Close()
	out := map[SightingStatus]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, fmt.Errorf("missing: count sightings: %w", err)
		}
		out[SightingStatus(s)] = n
	}
	return out, rows.Err()
}

// optin is a row of missing_optins.
type optin struct {
	CitizenID        string
	Enabled          bool
	County           string
	Lat, Lng         float64
	OptinAt, Updated time.Time
	ReadUpto         int64
}

func getOptin(ctx context.Context, q db.Querier, citizenID string) (optin, error) {
	var o optin
	var en int
	var at, up int64
	err := q.QueryRow(ctx, "SELECT citizen_id, enabled, county_code, lat, lng, optin_at, updated_at, read_upto FROM missing_optins WHERE citizen_id = $1", citizenID).
		Scan(&o.CitizenID, &en, &o.County, &o.Lat, &o.Lng, &at, &up, &o.ReadUpto)
	if errors.Is(err, sql.ErrNoRows) {
		return o, ErrNotOptedIn
	}
	if err != nil {
		return o, fmt.Errorf("missing: read opt-in: %w", err)
	}
	o.Enabled, o.OptinAt, o.Updated = en == 1, db.Time(at), db.Time(up)
	if !o.Enabled {
		return o, ErrNotOptedIn
	}
	return o, nil
}

// inList renders "$start, …" for ids and returns the args.
func inList(start int, ids []string) (string, []any) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return db.Placeholders(start, len(ids)), args
}
