package guardian

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"open110/account"
	"open110/platform/db"
	"open110/platform/ids"
)

// tripRow is a trips row.
type tripRow struct {
	ID, OwnerID, OwnerPhone, Mode, Note, Destination, State, EndKind string
	ExpectedAt, StartedAt, EndedAt, Rev, LastSeenAt, LastAt          int64
	LastLat, LastLng, LastAcc                                        sql.NullFloat64
	OverdueStage, SilentStage, DuressPending, Held                   int
	PromptedAt                                                       int64
}

const tripCols = `id, owner_id, owner_phone, mode, note, destination, state, end_kind, expected_at, started_at, ended_at, rev,
	last_seen_at, last_at, last_lat, last_lng, last_acc, overdue_stage, silent_stage, duress_pending, held, prompted_at`

func scanTrip(sc interface{ Scan(...any) error }) (tripRow, error) {
	var r tripRow
	err := sc.Scan(&r.ID, &r.OwnerID, &r.OwnerPhone, &r.Mode, &r.Note, &r.Destination, &r.State, &r.EndKind, &r.ExpectedAt,
		&r.StartedAt, &r.EndedAt, &r.Rev, &r.LastSeenAt, &r.LastAt, &r.LastLat, &r.LastLng, &r.LastAcc, &r.OverdueStage,
		&r.SilentStage, &r.DuressPending, &r.Held, &r.PromptedAt)
	return r, err
}

func loadTrip(ctx context.Context, q db.Querier, id string) (tripRow, error) {
	if !ids.Valid(id) {
		return tripRow{}, ErrTripNotFound
	}
	r, err := scanTrip(q.QueryRow(ctx, "SELECT "+tripCols+" FROM trips WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrTripNotFound
	}
	if err != nil {
		return r, fmt.Errorf("guardian: read trip: %w", err)
	}
	return r, nil
}

func (r tripRow) last() *Point {
	if !r.LastLat.Valid {
		return nil
	}
	return &Point{At: db.Time(r.LastAt), Position: Position{Lat: r.LastLat.Float64, Lng: r.LastLng.Float64, AccuracyM: r.LastAcc.Float64}}
}

// access loads a trip for a citizen viewer and says who they are to it.
// Anyone else — other citizens, guardians whose link was revoked, every
// officer — gets trip_not_found.
func (s *Service) access(ctx context.Context, q db.Querier, p account.Principal, id string) (tripRow, string, error) {
	if !p.IsCitizen() {
		return tripRow{}, "", ErrTripNotFound
	}
	if !ids.Valid(id) {
		return tripRow{}, "", ErrTripNotFound
	}
	// One read: the trip and whether p guards it through an accepted link.
	var n int
	var r tripRow
	row := q.QueryRow(ctx, "SELECT "+tripCols+`, (SELECT COUNT(*) FROM trip_guardians tg JOIN guardian_links l ON l.id = tg.link_id
		WHERE tg.trip_id = trips.id AND tg.guardian_id = $2 AND l.state = 'accepted') FROM trips WHERE id = $1`, id, p.ID)
	err := row.Scan(&r.ID, &r.OwnerID, &r.OwnerPhone, &r.Mode, &r.Note, &r.Destination, &r.State, &r.EndKind, &r.ExpectedAt,
		&r.StartedAt, &r.EndedAt, &r.Rev, &r.LastSeenAt, &r.LastAt, &r.LastLat, &r.LastLng, &r.LastAcc, &r.OverdueStage,
		&r.SilentStage, &r.DuressPending, &r.Held, &r.PromptedAt, &n)
	if errors.Is(err, sql.ErrNoRows) {
		return r, "", ErrTripNotFound
	}
	if err != nil {
		return r, "", fmt.Errorf("guardian: read trip: %w", err)
	}
	role := tripRoleOf(p, r.OwnerID, n > 0)
	if role == "" {
		return r, "", ErrTripNotFound
	}
	return r, role, nil
}

// view renders a trip for a viewer role.
func (s *Service) view(ctx context.Context, q db.Querier, r tripRow, role string) (Trip, error) {
	t := Trip{ID: r.ID, Mode: Mode(r.Mode), Note: r.Note, Destination: r.Destination, State: r.State, EndKind: r.EndKind,
		StartedAt: db.Time(r.StartedAt), TravellerID: r.OwnerID, TravellerPhone: r.OwnerPhone, Last: r.last(),
		LastSeenAt: db.Time(r.LastSeenAt), Overdue: r.OverdueStage >= 2 || (role == RoleTraveller && r.OverdueStage >= 1),
		Silent: r.SilentStage > 0, Role: role, Cursor: r.Rev, Guardians: []GuardianRef{}, Alarms: []AlarmLink{}}
	if r.ExpectedAt != 0 {
		e := db.Time(r.ExpectedAt)
		t.ExpectedAt = &e
	}
	if r.EndedAt != 0 {
		e := db.Time(r.EndedAt)
		t.EndedAt = &e
	}
	if t.EndKind == endDuress {
		// The duress end looks like "arrived safely" to everyone; guardians
		// learn of it from the duress alarm and its event.
		t.EndKind = EndArrived
	}
	rows, err := q.Query(ctx, `SELECT tg.guardian_id, l.guardian_phone, l.label FROM trip_guardians tg
		JOIN guardian_links l ON l.id = tg.link_id WHERE tg.trip_id = $1 AND l.state = 'accepted' ORDER BY l.created_at`, r.ID)
	if err != nil {
		return t, fmt.Errorf("guardian: trip guardians: %w", err)
	}
	for rows.Next() {
		var g GuardianRef
		if err := rows.Scan(&g.ID, &g.Phone, &g.Label); err != nil {
			rows.Close()
			return t, fmt.Errorf("guardian: trip guardians: %w", err)
		}
		if role != RoleTraveller {
			g.Label = "" // the traveller's private names
		}
		t.Guardians = append(t.Guardians, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return t, fmt.Errorf("guardian: trip guardians: %w", err)
	}
	als, err := tripAlarms(ctx, q, r.ID)
	if err != nil {
		return t, err
	}
	for _, a := range als {
		if visibleAlarm(role, a.RaisedBy) {
			t.Alarms = append(t.Alarms, a)
		}
	}
	return t, nil
}

func tripAlarms(ctx context.Context, q db.Querier, tripID string) ([]AlarmLink, error) {
	rows, err := q.Query(ctx, "SELECT alarm_id, raised_by, raiser_id, raised_at, center FROM trip_alarms WHERE trip_id = $1 ORDER BY raised_at", tripID)
	if err != nil {
		return nil, fmt.Errorf("guardian: trip alarms: %w", err)
	}
	defer rows.Close()
	var out []AlarmLink
	for rows.Next() {
		var a AlarmLink
		var at int64
		if err := rows.Scan(&a.AlarmID, &a.RaisedBy, &a.RaiserID, &at, &a.Center); err != nil {
			return nil, fmt.Errorf("guardian: trip alarms: %w", err)
		}
		a.At = db.Time(at)
		out = append(out, a)
	}
	return out, rows.Err()
}

// StartRequest starts a trip.
type StartRequest struct {
	Mode        Mode       `json:"mode"`
	Note        string     `json:"note,omitempty"`        // e.g. the taxi's plate
	Destination string     `json:"destination,omitempty"` // free text
	ExpectedAt  *time.Time `json:"expected_at,omitempty"` // expected arrival
	Guardians   []string   `json:"guardians,omitempty"`   // link IDs; empty: the defaults
}

// Start begins a guarded trip for traveller p. Errors: invalid_mode,
// invalid_note, invalid_expected_at, invalid_guardians (not p's accepted
// links), no_guardians (none chosen and no accepted defaults), trip_active
// (p already has one running; its ID is in the error's trip_id).
func (s *Service) Start(ctx context.Context, p account.Principal, req StartRequest) (Trip, error) {
	if !p.IsCitizen() {
		return Trip{}, ErrCitizensOnly
	}
	if !req.Mode.Valid() {
		return Trip{}, ErrInvalidMode
	}
	note, err := cleanText(req.Note)
	if err != nil {
		return Trip{}, err
	}
	dest, err := cleanText(req.Destination)
	if err != nil {
		return Trip{}, err
	}
	now := s.now()
	var expected int64
	if req.ExpectedAt != nil {
		if !req.ExpectedAt.After(now) || req.ExpectedAt.After(now.Add(s.cfg.MaxTrip)) {
			return Trip{}, ErrInvalidExpected
		}
		expected = db.Micros(*req.ExpectedAt)
	}
	if len(req.Guardians) > MaxTripGuardian {
		return Trip{}, ErrInvalidGuardians.Msg("at most %d guardians per trip", MaxTripGuardian)
	}
	id := ids.New("t", now)
	var out Trip
	var notify []string
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var q string
		args := []any{p.ID}
		if len(req.Guardians) == 0 {
			q = "SELECT id, guardian_id, guardian_phone FROM guardian_links WHERE owner_id = $1 AND state = 'accepted' AND is_default = 1"
		} else {
			ids := slices.Compact(slices.Sorted(slices.Values(req.Guardians)))
			for _, g := range ids {
				args = append(args, g)
			}
			q = "SELECT id, guardian_id, guardian_phone FROM guardian_links WHERE owner_id = $1 AND state = 'accepted' AND id IN (" +
				db.Placeholders(2, len(ids)) + ")"
			req.Guardians = ids
		}
		rows, err := tx.Query(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("guardian: trip guardians: %w", err)
		}
		type g struct{ link, id, phone string }
		var gs []g
		for rows.Next() {
			var x g
			if err := rows.Scan(&x.link, &x.id, &x.phone); err != nil {
				rows.Close()
				return fmt.Errorf("guardian: trip guardians: %w", err)
			}
			gs = append(gs, x)
		}
		rows.Close()
		if len(req.Guardians) > 0 && len(gs) != len(req.Guardians) {
			return ErrInvalidGuardians
		}
		if len(gs) == 0 {
			return ErrNoGuardians
		}
		_, err = tx.Exec(ctx, `INSERT INTO trips (id, owner_id, owner_phone, mode, note, destination, expected_at, state, started_at, last_seen_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8, $8)`, id, p.ID, p.Phone, string(req.Mode), note, dest, expected, db.Micros(now))
		if db.IsUniqueViolation(err) {
			var active string
			_ = tx.QueryRow(ctx, "SELECT id FROM trips WHERE owner_id = $1 AND state = 'active'", p.ID).Scan(&active)
			return ErrTripActive.With("trip_id", active)
		}
		if err != nil {
			return fmt.Errorf("guardian: insert trip: %w", err)
		}
		for _, x := range gs {
			if _, err := tx.Exec(ctx, "INSERT INTO trip_guardians (trip_id, guardian_id, link_id) VALUES ($1, $2, $3)", id, x.id, x.link); err != nil {
				return fmt.Errorf("guardian: insert trip guardian: %w", err)
			}
			notify = append(notify, x.phone)
		}
		if _, err := s.addEvent(ctx, tx, id, "started", audienceAll, p.Actor(), map[string]any{"mode": req.Mode}); err != nil {
			return err
		}
		r, err := loadTrip(ctx, tx, id)
		if err != nil {
			return err
		}
		out, err = s.view(ctx, tx, r, RoleTraveller)
		return err
	})
	if err != nil {
		return Trip{}, err
	}
	s.wake(ctx, id, out.Cursor)
	for _, ph := range notify {
		s.notify(ctx, ph, "【公安110】"+maskPhone(p.Phone)+"开始了一段出行（"+modeName(req.Mode)+"），请您守护：打开公安110 App「亲友互助」查看实时轨迹。")
	}
	return out, nil
}

func modeName(m Mode) string {
	switch m {
	case Taxi:
		return "打车"
	case NightRun:
		return "夜跑"
	case Meeting:
		return "见面"
	}
	return "出行"
}

// Get returns a trip for its traveller or one of its guardians. Errors:
// trip_not_found (also for everyone else, officers included).
func (s *Service) Get(ctx context.Context, p account.Principal, id string) (Trip, error) {
	r, role, err := s.access(ctx, s.db, p, id)
	if err != nil {
		return Trip{}, err
	}
	return s.view(ctx, s.db, r, role)
}

// List returns p's own trips (newest first, at most 50) and the trips p
// guards that are running now or ended within the retention period.
func (s *Service) List(ctx context.Context, p account.Principal) (mine, guarding []Trip, err error) {
	if !p.IsCitizen() {
		return nil, nil, ErrCitizensOnly
	}
	load := func(role, q string) ([]Trip, error) {
		rows, err := s.db.Query(ctx, q, p.ID)
		if err != nil {
			return nil, fmt.Errorf("guardian: list trips: %w", err)
		}
		var rs []tripRow
		for rows.Next() {
			r, err := scanTrip(rows)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("guardian: list trips: %w", err)
			}
			rs = append(rs, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("guardian: list trips: %w", err)
		}
		out := []Trip{}
		for _, r := range rs {
			t, err := s.view(ctx, s.db, r, role)
			if err != nil {
				return nil, err
			}
			out = append(out, t)
		}
		return out, nil
	}
	if mine, err = load(RoleTraveller, "SELECT "+tripCols+" FROM trips WHERE owner_id = $1 ORDER BY started_at DESC LIMIT 50"); err != nil {
		return nil, nil, err
	}
	guarding, err = load(RoleGuardian, "SELECT "+prefixed("t.", tripCols)+` FROM trips t
		JOIN trip_guardians tg ON tg.trip_id = t.id JOIN guardian_links l ON l.id = tg.link_id
		WHERE tg.guardian_id = $1 AND l.state = 'accepted' ORDER BY t.started_at DESC LIMIT 50`)
	return mine, guarding, err
}

// End ends p's trip: "arrived safely" (到达报平安). pin is what the
// traveller typed when the app asked for their PIN (the app asks whenever a
// duress PIN is set); the duress PIN ends the trip the same way on screen
// — the same response, the same state — and raises a silent alarm routed
// by the last position. Ending an ended trip returns it unchanged. Errors:
// trip_not_found.
func (s *Service) End(ctx context.Context, p account.Principal, id, pin string) (Trip, error) {
	var out Trip
	var rev int64
	var phones []string
	duress := false
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		r, role, err := s.access(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if role != RoleTraveller {
			return ErrTripNotFound // a guardian cannot end it
		}
		d, err := isDuress(ctx, tx, r.OwnerID, pin)
		if err != nil {
			return err
		}
		if r.State == TripActive {
			duress = d
			kind := EndArrived
			if duress {
				kind = endDuress
			}
			now := s.now()
			if _, err := tx.Exec(ctx, "UPDATE trips SET state = 'ended', end_kind = $2, ended_at = $3, duress_pending = $4 WHERE id = $1 AND state = 'active'",
				id, kind, db.Micros(now), db.Bool(duress)); err != nil {
				return fmt.Errorf("guardian: end trip: %w", err)
			}
			// Both ends write the same event: the guardians learn of a
			// duress end from the alarm event the raiser adds.
			if rev, err = s.addEvent(ctx, tx, id, "ended", audienceAll, p.Actor(), map[string]any{"end_kind": EndArrived}); err != nil {
				return err
			}
			if phones, err = guardianPhones(ctx, tx, id); err != nil {
				return err
			}
		}
		r, err = loadTrip(ctx, tx, id)
		if err != nil {
			return err
		}
		out, err = s.view(ctx, tx, r, RoleTraveller)
		return err
	})
	if err != nil {
		return Trip{}, err
	}
	if rev > 0 {
		s.wake(ctx, id, rev)
		if duress {
			// Raised after the commit that recorded it; if this fails (or
			// the node stops first) the timer loop raises it from
			// duress_pending, so the alarm is never lost.
			go s.raiseDuress(context.WithoutCancel(ctx), id)
		} else {
			for _, ph := range phones {
				s.notify(ctx, ph, "【公安110】"+maskPhone(p.Phone)+"已到达，报平安。")
			}
		}
	}
	return out, nil
}

func guardianPhones(ctx context.Context, q db.Querier, tripID string) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT l.guardian_phone FROM trip_guardians tg JOIN guardian_links l ON l.id = tg.link_id
		WHERE tg.trip_id = $1 AND l.state = 'accepted'`, tripID)
	if err != nil {
		return nil, fmt.Errorf("guardian: guardian phones: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var ph string
		if err := rows.Scan(&ph); err != nil {
			return nil, fmt.Errorf("guardian: guardian phones: %w", err)
		}
		out = append(out, ph)
	}
	return out, rows.Err()
}

// CheckIn is the traveller's "I'm fine" while the trip runs: it answers an
// overdue prompt and may move the expected arrival (nil keeps it; an
// overdue trip without a new time gets PromptGrace more). Errors:
// trip_not_found, trip_ended, invalid_expected_at.
func (s *Service) CheckIn(ctx context.Context, p account.Principal, id string, expected *time.Time) (Trip, error) {
	now := s.now()
	if expected != nil && (!expected.After(now) || expected.After(now.Add(s.cfg.MaxTrip))) {
		return Trip{}, ErrInvalidExpected
	}
	var out Trip
	var rev int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		r, role, err := s.access(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if role != RoleTraveller {
			return ErrTripNotFound
		}
		if r.State != TripActive {
			return ErrTripEnded
		}
		exp := r.ExpectedAt
		if expected != nil {
			exp = db.Micros(*expected)
		} else if exp != 0 && exp <= db.Micros(now) {
			exp = db.Micros(now.Add(s.cfg.PromptGrace))
		}
		if _, err := tx.Exec(ctx, "UPDATE trips SET expected_at = $2, overdue_stage = 0, prompted_at = 0, silent_stage = 0, last_seen_at = $3 WHERE id = $1",
			id, exp, db.Micros(now)); err != nil {
			return fmt.Errorf("guardian: check in: %w", err)
		}
		data := map[string]any{}
		if exp != 0 {
			data["expected_at"] = db.Time(exp)
		}
		if rev, err = s.addEvent(ctx, tx, id, "checked_in", audienceAll, p.Actor(), data); err != nil {
			return err
		}
		r, err = loadTrip(ctx, tx, id)
		if err != nil {
			return err
		}
		out, err = s.view(ctx, tx, r, RoleTraveller)
		return err
	})
	if err != nil {
		return Trip{}, err
	}
	s.wake(ctx, id, rev)
	return out, nil
}

func prefixed(p, cols string) string {
	out := []byte{}
	start := true
	for i := 0; i < len(cols); i++ {
		c := cols[i]
		if start && c != ' ' && c != '\t' && c != '\n' {
			out = append(out, p...)
			start = false
		}
		out = append(out, c)
		if c == ',' {
			start = true
		}
	}
	return string(out)
}
