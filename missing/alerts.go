package missing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"sync"
	"time"

	"open110/audit"
	"open110/geo"
	"open110/platform/apperr"
	"open110/platform/bus"
	"open110/platform/db"
)

// Area alerts (团圆 pattern).
//
// Users opt in with a coarse home area: a county (its label point) or a
// point they choose, rounded to 0.1° (about 10 km). Nothing else about
// where they are is kept.
//
// When a notice is published, an alert ring is sent: radius RadiusKm(time
// since last seen). The ring RE-EXPANDS: a timer (Run → WidenDue, with the
// injected clock) widens it at 1 h, 2 h and 3 h after the last sighting
// while the notice is still published, and each widening alerts only the
// users newly inside (prev < d ≤ radius), so nobody is alerted twice for
// one notice. A closure sends a ring of the widest radius reached: everyone
// who was alerted gets the closure notice.
//
// Delivery: every ring is an event row (missing_events, kind alert or
// closure) with the notice's point and radii. The in-app inbox reads those
// rows and keeps the ones whose ring covers the user's area (fan-out on
// read): a province-wide alert to a million users costs one row, not a
// million. The audience itself — the users inside a ring — is computed by
// an in-memory AreaIndex and handed to the Notifier, the way out to push
// services; the default Notifier only wakes live clients over the bus.
// The inbox is evaluated against the user's current area and shows rings
// sent since they opted in, within the last 30 days (a closure is shown
// whenever the user was alerted for that notice, however long ago).

// Notification is one alert ring or closure.
type Notification struct {
	Kind         string    `json:"kind"` // alert | closure
	Seq          int64     `json:"seq"`
	NoticeID     string    `json:"notice_id"`
	RadiusKm     int       `json:"radius_km"`
	PrevRadiusKm int       `json:"prev_radius_km"`
	Name         string    `json:"name,omitempty"` // the person's name (not for a hoax closure)
	At           time.Time `json:"at"`
}

// Notifier delivers a ring to its audience (citizen IDs). Implementations
// must not block for long: a push service should queue.
type Notifier interface {
	Notify(ctx context.Context, n Notification, audience []string) error
}

// BusNotifier wakes live clients: one broadcast per ring (each node's
// sockets re-read their inbox), however large the audience.
type BusNotifier struct {
	Bus bus.Bus
	Log *slog.Logger
}

// Notify publishes the ring on missing.broadcast.
func (b BusNotifier) Notify(ctx context.Context, n Notification, audience []string) error {
	data, err := json.Marshal(map[string]any{"notification": n, "audience": len(audience)})
	if err != nil {
		return err
	}
	return b.Bus.Publish(ctx, subjBroadcast, data)
}

// AreaIndex holds opted-in users grouped by their (coarse) area point.
// Areas are county label points or 0.1° points, so a million users share a
// few thousand points: the audience of a ring is one distance per point
// plus copying the members. Safe for concurrent use.
type AreaIndex struct {
	mu       sync.RWMutex
	byID     map[string]member
	points   []areaPoint
	pointIdx map[areaPoint]int32
	members  [][]string
}

type areaPoint struct{ lat, lng float64 }

type member struct{ pt, pos int32 }

// NewAreaIndex returns an empty index.
func NewAreaIndex() *AreaIndex {
	return &AreaIndex{byID: map[string]member{}, pointIdx: map[areaPoint]int32{}}
}

// Set puts id at (lat, lng), moving it if it was elsewhere.
func (x *AreaIndex) Set(id string, lat, lng float64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	p := areaPoint{lat, lng}
	pi, ok := x.pointIdx[p]
	if m, had := x.byID[id]; had {
		if ok && m.pt == pi {
			return
		}
		x.removeLocked(id, m)
	}
	if !ok {
		pi = int32(len(x.points))
		x.points = append(x.points, p)
		x.members = append(x.members, nil)
		x.pointIdx[p] = pi
	}
	x.byID[id] = member{pt: pi, pos: int32(len(x.members[pi]))}
	x.members[pi] = append(x.members[pi], id)
}

// Remove drops id (no-op when absent).
func (x *AreaIndex) Remove(id string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if m, ok := x.byID[id]; ok {
		x.removeLocked(id, m)
	}
}

func (x *AreaIndex) removeLocked(id string, m member) {
	list := x.members[m.pt]
	last := len(list) - 1
	if int(m.pos) != last {
		moved := list[last]
		list[m.pos] = moved
		x.byID[moved] = member{pt: m.pt, pos: m.pos}
	}
	x.members[m.pt] = list[:last]
	delete(x.byID, id)
}

// Len is the number of users in the index.
func (x *AreaIndex) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.byID)
}

// Audience returns the users whose area lies farther than innerKm and at
// most outerKm from (lat, lng): the users a ring widening from innerKm to
// outerKm reaches (innerKm < 0 includes the centre).
func (x *AreaIndex) Audience(lat, lng, innerKm, outerKm float64) []string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	hit := make([]int32, 0, 256)
	total := 0
	for i, p := range x.points {
		d := DistanceKm(lat, lng, p.lat, p.lng)
		if d > innerKm && d <= outerKm && len(x.members[i]) > 0 {
			hit = append(hit, int32(i))
			total += len(x.members[i])
		}
	}
	out := make([]string, 0, total)
	for _, i := range hit {
		out = append(out, x.members[i]...)
	}
	return out
}

// LoadAreaIndex reads every enabled opt-in into a new index and returns it
// with the newest update time seen.
func LoadAreaIndex(ctx context.Context, d *db.DB) (*AreaIndex, time.Time, error) {
	x := NewAreaIndex()
	since, err := x.refresh(ctx, d, time.Time{}, true)
	return x, since, err
}

// refresh applies opt-ins updated at or after since (all enabled rows when
// full) and returns the newest update time.
func (x *AreaIndex) refresh(ctx context.Context, d *db.DB, since time.Time, full bool) (time.Time, error) {
	q := "SELECT citizen_id, enabled, lat, lng, updated_at FROM missing_optins WHERE updated_at >= $1"
	if full {
		q += " AND enabled = 1"
	}
	rows, err := d.Query(ctx, q, db.Micros(since))
	if err != nil {
		return since, fmt.Errorf("missing: read opt-ins: %w", err)
	}
	defer rows.Close()
	newest := since
	for rows.Next() {
		var id string
		var en int
		var lat, lng float64
		var up int64
		if err := rows.Scan(&id, &en, &lat, &lng, &up); err != nil {
			return since, fmt.Errorf("missing: scan opt-in: %w", err)
		}
		if en == 1 {
			x.Set(id, lat, lng)
		} else {
			x.Remove(id)
		}
		if t := db.Time(up); t.After(newest) {
			newest = t
		}
	}
	return newest, rows.Err()
}

// index returns the area index, loading it on first use.
func (s *Service) index(ctx context.Context) (*AreaIndex, error) {
	s.idxMu.Lock()
	defer s.idxMu.Unlock()
	if s.idx != nil {
		return s.idx, nil
	}
	x, since, err := LoadAreaIndex(ctx, s.db)
	if err != nil {
		return nil, err
	}
	s.idx, s.idxSince = x, since
	s.idxReady.Store(true)
	return x, nil
}

// refreshIndex applies opt-in changes made on any node since the last
// refresh (with a margin for clocks of different nodes; re-applying is
// harmless).
func (s *Service) refreshIndex(ctx context.Context) error {
	s.idxMu.Lock()
	defer s.idxMu.Unlock()
	if s.idx == nil {
		return nil
	}
	since, err := s.idx.refresh(ctx, s.db, s.idxSince.Add(-10*time.Second), false)
	if err != nil {
		return err
	}
	if since.After(s.idxSince) {
		s.idxSince = since
	}
	return nil
}

// Audience is the users a ring from innerKm to outerKm around (lat, lng)
// reaches now.
func (s *Service) Audience(ctx context.Context, lat, lng float64, innerKm, outerKm int) ([]string, error) {
	x, err := s.index(ctx)
	if err != nil {
		return nil, err
	}
	inner := float64(innerKm)
	if innerKm == 0 {
		inner = -1
	}
	return x.Audience(lat, lng, inner, float64(outerKm)), nil
}

// deliverSoon delivers at once when the area index is loaded, else in the
// background: loading a million opt-ins at start takes seconds, and the
// officer who publishes must not wait for it.
func (s *Service) deliverSoon(ctx context.Context, n notice, e event) {
	if s.idxReady.Load() {
		s.deliver(ctx, n, e)
		return
	}
	go s.deliver(ctx, n, e)
}

// deliver hands a committed ring to the notifier. Failures are logged:
// the inbox reads the ring from the database either way.
func (s *Service) deliver(ctx context.Context, n notice, e event) {
	ctx = context.WithoutCancel(ctx)
	inner := e.PrevRadiusKm
	if e.Kind == evClosure {
		inner = 0
	}
	aud, err := s.Audience(ctx, n.Lat, n.Lng, inner, e.RadiusKm)
	if err != nil {
		s.log.Error("missing: alert audience", "notice", n.ID, "err", err)
	}
	name := n.P.name
	if n.Outcome == Hoax {
		name = ""
	}
	note := Notification{Kind: e.Kind, Seq: e.Seq, NoticeID: n.ID, RadiusKm: e.RadiusKm, PrevRadiusKm: e.PrevRadiusKm, Name: name, At: e.At}
	if err := s.notifier.Notify(ctx, note, aud); err != nil {
		s.log.Warn("missing: notify", "notice", n.ID, "kind", e.Kind, "err", err)
	}
	s.log.Info("missing: ring sent", "notice", n.ID, "kind", e.Kind, "radius_km", e.RadiusKm, "prev_km", e.PrevRadiusKm, "audience", len(aud))
}

// WidenDue widens the ring of every published notice whose next ring is
// due by the service's clock, and returns how many rings it sent. Several
// nodes may run it at once: a conditional update lets one of them send
// each ring.
func (s *Service) WidenDue(ctx context.Context) (int, error) {
	now := s.clock()
	ns, err := queryNotices(ctx, s.db, "WHERE next_ring_at > 0 AND next_ring_at <= $1 AND state = $2 ORDER BY next_ring_at LIMIT 200", db.Micros(now), string(Published))
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, n := range ns {
		km, next := RadiusKm(now.Sub(n.LastSeenAt))
		var nextAt time.Time
		if next > 0 {
			nextAt = n.LastSeenAt.Add(next)
		}
		var e event
		won := false
		err := s.db.InTx(ctx, func(tx *db.Tx) error {
			res, err := tx.Exec(ctx, "UPDATE missing_notices SET alert_radius_km = $1, next_ring_at = $2 WHERE id = $3 AND state = $4 AND alert_radius_km = $5 AND next_ring_at = $6",
				max(km, n.AlertRadiusKm), db.Micros(nextAt), n.ID, string(Published), n.AlertRadiusKm, db.Micros(n.NextRingAt))
			if err != nil {
				return fmt.Errorf("missing: widen: %w", err)
			}
			if k, _ := res.RowsAffected(); k != 1 || km <= n.AlertRadiusKm {
				return nil // another node widened it, or nothing to widen
			}
			won = true
			e = event{NoticeID: n.ID, Center: n.Center, Kind: evAlert, RadiusKm: km, PrevRadiusKm: n.AlertRadiusKm, Lat: n.Lat, Lng: n.Lng, At: now}
			if e.Seq, err = addEvent(ctx, tx, e); err != nil {
				return err
			}
			_, err = s.audit.AppendTx(ctx, tx, audit.Entry{Actor: "system", Action: "missing.alert.widen", Object: obj(n.ID),
				Detail: map[string]any{"from_km": n.AlertRadiusKm, "to_km": km}})
			return err
		})
		if err != nil {
			return sent, err
		}
		if won {
			n.AlertRadiusKm = km
			s.deliverSoon(ctx, n, e)
			sent++
		}
	}
	return sent, nil
}

// Run is the background work: load the area index, follow opt-in changes
// from other nodes, and widen due rings every Tick.
func (s *Service) Run(ctx context.Context) error {
	if _, err := s.index(ctx); err != nil && ctx.Err() == nil {
		s.log.Error("missing: area index not loaded; retrying on the next tick", "err", err)
	}
	changed := make(chan struct{}, 1)
	if cancel, err := s.bus.Subscribe(subjOptin, func(string, []byte) {
		select {
		case changed <- struct{}{}:
		default:
		}
	}); err == nil {
		defer cancel()
	}
	t := time.NewTicker(s.tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
			if err := s.refreshIndex(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("missing: refresh area index", "err", err)
			}
		case <-t.C:
			if _, err := s.index(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("missing: area index", "err", err)
			}
			if err := s.refreshIndex(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("missing: refresh area index", "err", err)
			}
			if _, err := s.WidenDue(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("missing: widen alert rings", "err", err)
			}
		}
	}
}

// AreaInput is an opt-in: exactly one of a county (or city) code and a
// point (rounded to 0.1° before it is stored).
type AreaInput struct {
	County string    `json:"county"`
	Point  *Position `json:"point"`
}

// AreaView is a user's alert setting.
type AreaView struct {
	Enabled bool       `json:"enabled"`
	County  *UnitRef   `json:"county,omitempty"`
	Point   *Position  `json:"point,omitempty"` // the stored, rounded point
	Since   *time.Time `json:"since,omitempty"`
}

func areaView(o optin) AreaView {
	v := AreaView{Enabled: o.Enabled, Point: &Position{Lat: o.Lat, Lng: o.Lng}, Since: tp(o.OptinAt)}
	if o.County != "" {
		v.County = unitRef(o.County)
	}
	return v
}

// label is a unit's label point (inside its largest part), WGS-84.
func (s *Service) label(code string) (lat, lng float64, ok bool) {
	if v, hit := s.labels.Load(code); hit {
		p := v.([2]float64)
		return p[1], p[0], true
	}
	f, ok := s.router.Boundary(code, 0)
	if !ok {
		return 0, 0, false
	}
	s.labels.Store(code, f.Properties.Label)
	return f.Properties.Label[1], f.Properties.Label[0], true
}

// SetArea opts the citizen in (or moves their area). Errors: area_required,
// area_ambiguous, invalid_area_unit, invalid_position, forbidden.
func (s *Service) SetArea(ctx context.Context, c Caller, in AreaInput) (AreaView, error) {
	if !c.SignedIn() {
		return AreaView{}, apperr.ErrUnauthorized
	}
	if !c.IsCitizen() {
		return AreaView{}, apperr.ErrForbidden.Msg("area alerts are for citizens")
	}
	var o optin
	switch {
	case in.County == "" && in.Point == nil:
		return AreaView{}, apperr.New(apperr.Invalid, "area_required", "choose a county or a point")
	case in.County != "" && in.Point != nil:
		return AreaView{}, apperr.New(apperr.Invalid, "area_ambiguous", "choose a county or a point, not both")
	case in.County != "":
		lvl, ok := unitOK(in.County)
		if !ok || lvl == string(geo.LevelProvince) {
			return AreaView{}, apperr.New(apperr.Invalid, "invalid_area_unit", "county must be the code of a Hebei county or city").With("field", "county")
		}
		lat, lng, ok := s.label(in.County)
		if !ok {
			return AreaView{}, apperr.New(apperr.Invalid, "invalid_area_unit", "no boundary for this unit").With("field", "county")
		}
		o.County, o.Lat, o.Lng = in.County, round(lat, 0.001), round(lng, 0.001)
	default:
		if err := validPosition("point", in.Point); err != nil {
			return AreaView{}, err
		}
		o.Lat, o.Lng = round(in.Point.Lat, 0.1), round(in.Point.Lng, 0.1)
	}
	o.Lat, o.Lng = math.Round(o.Lat*1e6)/1e6, math.Round(o.Lng*1e6)/1e6
	now := s.clock()
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO missing_optins (citizen_id, enabled, county_code, lat, lng, optin_at, updated_at, read_upto)
			VALUES ($1, 1, $2, $3, $4, $5, $5, 0)
			ON CONFLICT (citizen_id) DO UPDATE SET enabled = 1, county_code = excluded.county_code, lat = excluded.lat, lng = excluded.lng,
				optin_at = CASE WHEN missing_optins.enabled = 1 THEN missing_optins.optin_at ELSE excluded.optin_at END,
				updated_at = excluded.updated_at`, c.ID, o.County, o.Lat, o.Lng, db.Micros(now))
		if err != nil {
			return fmt.Errorf("missing: opt in: %w", err)
		}
		return s.auditTx(ctx, tx, c, "missing.alerts.set", "missing_alerts:"+c.ID, citizenSubject(c.ID), "", map[string]any{"county": o.County})
	})
	if err != nil {
		return AreaView{}, err
	}
	s.idxMu.Lock()
	if s.idx != nil {
		s.idx.Set(c.ID, o.Lat, o.Lng)
	}
	s.idxMu.Unlock()
	s.wake(subjOptin)
	got, err := getOptin(ctx, s.db, c.ID)
	if err != nil {
		return AreaView{}, err
	}
	return areaView(got), nil
}

// DisableArea opts the citizen out (their area is forgotten from the index).
func (s *Service) DisableArea(ctx context.Context, c Caller) error {
	if !c.IsCitizen() {
		return apperr.ErrForbidden.Msg("area alerts are for citizens")
	}
	now := s.clock()
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, "UPDATE missing_optins SET enabled = 0, updated_at = $1 WHERE citizen_id = $2", db.Micros(now), c.ID); err != nil {
			return fmt.Errorf("missing: opt out: %w", err)
		}
		return s.auditTx(ctx, tx, c, "missing.alerts.off", "missing_alerts:"+c.ID, citizenSubject(c.ID), "", nil)
	})
	if err != nil {
		return err
	}
	s.idxMu.Lock()
	if s.idx != nil {
		s.idx.Remove(c.ID)
	}
	s.idxMu.Unlock()
	s.wake(subjOptin)
	return nil
}

// Area returns the citizen's alert setting ({"enabled":false} when off).
func (s *Service) Area(ctx context.Context, c Caller) (AreaView, error) {
	if !c.IsCitizen() {
		return AreaView{}, apperr.ErrForbidden.Msg("area alerts are for citizens")
	}
	o, err := getOptin(ctx, s.db, c.ID)
	if errors.Is(err, ErrNotOptedIn) {
		return AreaView{Enabled: false}, nil
	}
	if err != nil {
		return AreaView{}, err
	}
	return areaView(o), nil
}

// InboxItem is one alert or closure in a citizen's inbox.
type InboxItem struct {
	Seq        int64     `json:"seq"`
	Kind       string    `json:"kind"` // alert | closure
	At         time.Time `json:"at"`
	RadiusKm   int       `json:"radius_km"`
	DistanceKm float64   `json:"distance_km"`
	Unread     bool      `json:"unread"`
	Notice     Detail    `json:"notice"` // the public view now (a closed notice shows its closure)
}

// Inbox is a citizen's alert inbox, newest first.
type Inbox struct {
	Area   AreaView    `json:"area"`
	Unread int         `json:"unread"`
	Cursor int64       `json:"cursor"` // the newest seq: pass to /inbox/read
	Items  []InboxItem `json:"items"`
}

// inboxWindow is how far back the inbox looks for rings.
const inboxWindow = 30 * 24 * time.Hour

// inboxEvents returns the alert and closure events after seq `after` that
// reach the citizen with area o, in seq order.
func (s *Service) inboxEvents(ctx context.Context, o optin, after int64) ([]event, error) {
	since := max(db.Micros(o.OptinAt), db.Micros(s.clock().Add(-inboxWindow)))
	evs, err := queryEvents(ctx, s.db, "WHERE kind IN ($1, $2) AND at >= $3 ORDER BY seq", evAlert, evClosure, since)
	if err != nil {
		return nil, err
	}
	alerted := map[string]bool{}
	covers := func(e event) bool {
		d := DistanceKm(o.Lat, o.Lng, e.Lat, e.Lng)
		return d > float64(e.PrevRadiusKm) && d <= float64(e.RadiusKm) || (e.PrevRadiusKm == 0 && d <= float64(e.RadiusKm))
	}
	var out []event
	for _, e := range evs {
		switch e.Kind {
		case evAlert:
			if covers(e) {
				alerted[e.NoticeID] = true
				if e.Seq > after {
					out = append(out, e)
				}
			}
		case evClosure:
			if !alerted[e.NoticeID] {
				// The alert may predate the window: look it up.
				old, err := queryEvents(ctx, s.db, "WHERE notice_id = $1 AND kind = $2 AND at >= $3", e.NoticeID, evAlert, db.Micros(o.OptinAt))
				if err != nil {
					return nil, err
				}
				for _, a := range old {
					if covers(a) {
						alerted[e.NoticeID] = true
					}
				}
			}
			if alerted[e.NoticeID] && DistanceKm(o.Lat, o.Lng, e.Lat, e.Lng) <= float64(e.RadiusKm) && e.Seq > after {
				out = append(out, e)
			}
		}
	}
	return out, nil
}

// Inbox returns the citizen's alerts and closures (at most limit, newest
// first) with the unread count. Opted out: an empty inbox.
func (s *Service) Inbox(ctx context.Context, c Caller, limit int) (Inbox, error) {
	if !c.IsCitizen() {
		return Inbox{}, apperr.ErrForbidden.Msg("the alert inbox is for citizens")
	}
	if limit <= 0 || limit > 100 {
		limit = 50
	}
	out := Inbox{Items: []InboxItem{}}
	o, err := getOptin(ctx, s.db, c.ID)
	if errors.Is(err, ErrNotOptedIn) {
		return out, nil
	}
	if err != nil {
		return out, err
	}
	out.Area = areaView(o)
	evs, err := s.inboxEvents(ctx, o, 0)
	if err != nil {
		return out, err
	}
	for _, e := range evs {
		if e.Seq > o.ReadUpto {
			out.Unread++
		}
		out.Cursor = max(out.Cursor, e.Seq)
	}
	sort.Slice(evs, func(i, j int) bool { return evs[i].Seq > evs[j].Seq })
	if len(evs) > limit {
		evs = evs[:limit]
	}
	ids := map[string]bool{}
	var list []string
	for _, e := range evs {
		if !ids[e.NoticeID] {
			ids[e.NoticeID] = true
			list = append(list, e.NoticeID)
		}
	}
	notices := map[string]notice{}
	if len(list) > 0 {
		ph, args := inList(1, list)
		ns, err := queryNotices(ctx, s.db, "WHERE id IN ("+ph+")", args...)
		if err != nil {
			return out, err
		}
		for _, n := range ns {
			notices[n.ID] = n
		}
	}
	for _, e := range evs {
		n, ok := notices[e.NoticeID]
		if !ok {
			continue
		}
		out.Items = append(out.Items, InboxItem{Seq: e.Seq, Kind: e.Kind, At: e.At, RadiusKm: e.RadiusKm, Unread: e.Seq > o.ReadUpto,
			DistanceKm: math.Round(DistanceKm(o.Lat, o.Lng, e.Lat, e.Lng)), Notice: publicDetail(n, nil)})
	}
	return out, nil
}

// MarkRead marks the inbox read up to seq.
func (s *Service) MarkRead(ctx context.Context, c Caller, upto int64) error {
	if !c.IsCitizen() {
		return apperr.ErrForbidden.Msg("the alert inbox is for citizens")
	}
	if upto < 0 {
		return ErrInvalidCursor
	}
	_, err := s.db.Exec(ctx, "UPDATE missing_optins SET read_upto = CASE WHEN read_upto < $1 THEN $1 ELSE read_upto END WHERE citizen_id = $2", upto, c.ID)
	if err != nil {
		return fmt.Errorf("missing: mark read: %w", err)
	}
	return nil
}
