package alarm

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"open110/account"
	"open110/audit"
	"open110/geo"
	"open110/platform/apperr"
	"open110/platform/bus"
	"open110/platform/db"
	"open110/platform/ids"
	"open110/platform/sms"
)

// RouteResult is where a position belongs.
type RouteResult struct {
	Center   string  // the centre that must answer
	Outside  bool    // the point lies outside the province
	Nearest  string  // outside: nearest centre code
	NearestM float64 // outside: distance to it in metres
	Reason   string  // human explanation ("own centre", "city fallback", ...)
}

// Router routes a WGS-84 point and names each centre's overflow chain
// (e.g. county → city → province). The wiring adapts geo's router to it.
type Router interface {
	Route(lat, lng float64) (RouteResult, error)
	OverflowChain(center string) []string
}

// Config tunes the alarm service. Zero values take the defaults noted.
type Config struct {
	OverflowAfter   time.Duration // unanswered this long → offered one step up the chain; default 20s
	AbandonAfter    time.Duration // caller's live connection gone this long before an answer → abandoned; default 60s
	DispatcherGrace time.Duration // answering dispatcher's console gone this long → back to the queue; default 30s
	QuickPhrases    []string      // dispatcher one-click replies; default DefaultQuickPhrases

	SMSSecret      []byte            // HMAC secret of the 12110 gateway; empty disables /sms/inbound (503)
	SMSNumberAreas map[string]string // receiving number (e.g. "12110311") → centre code
	SMSWindow      time.Duration     // accepted clock skew of gateway timestamps; default 5m

	Prank PrankConfig
}

// PrankConfig sets the thresholds that mark an alarm suspected. Alarms are
// never rejected or hidden because of them.
type PrankConfig struct {
	PhonePerHour  int           // alarms from one phone in an hour before marking; default 3
	IPPerHour     int           // alarms from one IP in an hour before marking; default 10
	PrankLookback time.Duration // a prank/invalid disposition this recent marks the phone; default 30 days
}

func (c *Config) defaults() {
	if c.OverflowAfter <= 0 {
		c.OverflowAfter = 20 * time.Second
	}
	if c.AbandonAfter <= 0 {
		c.AbandonAfter = 60 * time.Second
	}
	if c.DispatcherGrace <= 0 {
		c.DispatcherGrace = 30 * time.Second
	}
	if len(c.QuickPhrases) == 0 {
		c.QuickPhrases = DefaultQuickPhrases
	}
	if c.SMSWindow <= 0 {
		c.SMSWindow = 5 * time.Minute
	}
	if c.Prank.PhonePerHour <= 0 {
		c.Prank.PhonePerHour = 3
	}
	if c.Prank.IPPerHour <= 0 {
		c.Prank.IPPerHour = 10
	}
	if c.Prank.PrankLookback <= 0 {
		c.Prank.PrankLookback = 30 * 24 * time.Hour
	}
}

// Deps are the parts the service runs on.
type Deps struct {
	DB      *db.DB
	Bus     bus.Bus
	Router  Router
	SMS     sms.Sender            // replies to 12110 alarms; nil drops them with an error on the message
	Audit   *audit.Log            // nil: no audit entries (tests)
	Metrics prometheus.Registerer // nil: metrics are not registered
	Now     func() time.Time      // nil: time.Now
	Log     *slog.Logger
}

// Service is the alarm feature.
type Service struct {
	cfg    Config
	db     *db.DB
	bus    bus.Bus
	router Router
	sender sms.Sender
	audit  *audit.Log
	now    func() time.Time
	log    *slog.Logger
	m      *metrics

	mu       sync.Mutex
	consoles map[string]int // officer username → live console sockets on this node

	tune atomic.Pointer[Tuning] // run-time rules (SetTuning); nil: Config's

}

// New returns the alarm service. DB, Bus and Router are required.
func New(cfg Config, d Deps) (*Service, error) {
	if d.DB == nil || d.Bus == nil || d.Router == nil {
		return nil, errors.New("alarm: DB, Bus and Router are required")
	}
	cfg.defaults()
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	s := &Service{cfg: cfg, db: d.DB, bus: d.Bus, router: d.Router, sender: d.SMS, audit: d.Audit,
		log: d.Log.With("feature", "alarm"), consoles: map[string]int{}}
	s.now = func() time.Time { return d.Now().UTC().Truncate(time.Microsecond) }
	m, err := newMetrics(s, d.Metrics)
	if err != nil {
		return nil, err
	}
	s.m = m
	return s, nil
}

// QuickPhrases returns the quick phrases in force (Tuning, else Config).
func (s *Service) QuickPhrases() []string { return s.Tuning().QuickPhrases }

// Change is the wake-up published on the bus after every committed event,
// on "alarm.id.<id>" and on "alarm.center.<code>" for each centre that sees
// the alarm. It is small on purpose: receivers read the database (Events)
// from their cursor for the details, so a lost wake-up loses nothing.
type Change struct {
	Seq     int64    `json:"seq"`
	AlarmID string   `json:"alarm_id"`
	Type    string   `json:"type"`
	State   State    `json:"state"`
	Kind    Kind     `json:"kind"`
	Center  string   `json:"center"`
	Centers []string `json:"centers"`
}

// Subject names.
const (
	subjectCenter = "alarm.center."
	subjectAlarm  = "alarm.id."
)

func (s *Service) publish(ctx context.Context, changes []Change) {
	if len(changes) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	for _, c := range changes {
		b, _ := json.Marshal(c)
		if err := s.bus.Publish(ctx, subjectAlarm+c.AlarmID, b); err != nil {
			s.log.Warn("alarm: publish wake-up failed; feeds will catch up by polling", "alarm", c.AlarmID, "err", err)
		}
		seen := map[string]bool{}
		for _, code := range c.Centers {
			if seen[code] {
				continue
			}
			seen[code] = true
			if err := s.bus.Publish(ctx, subjectCenter+code, b); err != nil {
				s.log.Warn("alarm: publish wake-up failed", "center", code, "err", err)
			}
		}
	}
}

// Subscribe calls fn for every committed alarm change on this bus (any
// node), until cancel is called. fn runs on the bus goroutine and must not
// block. Media and guardian use it to react to alarms (e.g. end a call when
// the alarm closes); they read details with Get or Events.
func (s *Service) Subscribe(fn func(Change)) (cancel func(), err error) {
	return s.bus.Subscribe(subjectAlarm+"*", func(_ string, data []byte) {
		var c Change
		if json.Unmarshal(data, &c) == nil {
			fn(c)
		}
	})
}

// within reports whether centre c lies in officer centre o's area: the same
// centre or one below it in the unit tree.
func within(o, c string) bool {
	for i := 0; i < 4 && c != ""; i++ {
		if c == o {
			return true
		}
		u, ok := geo.UnitByCode(c)
		if !ok {
			return false
		}
		c = u.Parent
	}
	return false
}

func (s *Service) roleOf(p account.Principal, r *row) Role {
	return RoleOf(p, r.view(), within)
}

// visible returns r when p may see it, else ErrNotFound (never "forbidden":
// another centre's alarm does not exist for them).
func (s *Service) visible(p account.Principal, r *row) error {
	if s.roleOf(p, r) == RoleNone {
		return ErrNotFound
	}
	return nil
}

// RaiseRequest is a citizen's alarm.
type RaiseRequest struct {
	Kind           Kind
	Location       *Position
	IdempotencyKey string
	Text           string            // optional first chat message
	Links          map[string]string // optional references (trip_id…)
	ClientIP       string
}

// Raise stores a citizen's alarm and queues it at the centre covering the
// location. It returns the alarm and whether it was created now (false: the
// idempotency key matched an earlier alarm, which is returned). The alarm is
// committed before Raise returns: the commit is the acknowledgement.
//
// Errors: invalid_kind, invalid_location, invalid_idempotency_key,
// idempotency_key_reused, empty/too long text, forbidden (not a citizen).
// A position outside Hebei is not an error: the alarm goes to the province
// centre flagged outside_jurisdiction with the nearest centre (never lost).
func (s *Service) Raise(ctx context.Context, p account.Principal, req RaiseRequest) (Alarm, bool, error) {
	if !p.IsCitizen() {
		return Alarm{}, false, apperr.ErrForbidden.Msg("only citizens raise alarms")
	}
	if req.Kind == SMS || !req.Kind.Valid() {
		return Alarm{}, false, ErrInvalidKind
	}
	return s.raise(ctx, raiseInput{
		kind: req.Kind, loc: req.Location, idem: req.IdempotencyKey, text: req.Text, links: req.Links,
		callerID: p.ID, phone: p.Phone, raisedBy: p.Actor(), ip: req.ClientIP,
	})
}

// RaiseFor raises an alarm on someone's behalf — a guardian for the
// traveller of a trip. callerID/phone are the person in danger (a citizen
// ID, may be empty); raisedByID is the citizen who raised it (they share the
// caller role); links say where it came from, e.g. {"trip_id": "…",
// "raised_by": "guardian"}. Same errors as Raise.
func (s *Service) RaiseFor(ctx context.Context, kind Kind, loc *Position, callerID, phone, raisedByID, idemKey string, links map[string]string) (Alarm, bool, error) {
	if kind == SMS || !kind.Valid() {
		return Alarm{}, false, ErrInvalidKind
	}
	by := "system"
	if raisedByID != "" {
		by = "citizen:" + raisedByID
	}
	owner := callerID
	if owner == "" {
		owner = raisedByID
	}
	return s.raise(ctx, raiseInput{kind: kind, loc: loc, idem: idemKey, links: links, callerID: owner,
		phone: phone, raisedBy: by, raisedByID: raisedByID})
}

type raiseInput struct {
	kind                          Kind
	loc                           *Position
	idem, text                    string
	links                         map[string]string
	callerID, phone, raisedBy, ip string
	raisedByID                    string
	routing                       *Routing                                                // preset (SMS by cell/number); nil: route by loc
	center                        string                                                  // with routing
	channel                       string                                                  // message channel: app or sms
	inTx                          func(ctx context.Context, w *wtx, alarmID string) error // extra work committed with the alarm
}

func validIdemKey(k string) bool {
	if len(k) == 0 || len(k) > 128 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

func validLinks(l map[string]string) error {
	if len(l) > 8 {
		return apperr.Invalidf("invalid_links", "at most 8 links")
	}
	for k, v := range l {
		if k == "" || len(k) > 32 || len(v) > 128 {
			return apperr.Invalidf("invalid_links", "link keys are 1-32 and values at most 128 characters")
		}
	}
	return nil
}

func checkText(text string, required bool) (string, error) {
	t := trimText(text)
	if t == "" {
		if required {
			return "", ErrEmptyMessage
		}
		return "", nil
	}
	if utf8.RuneCountInString(t) > MaxMessageRunes {
		return "", ErrMessageTooLong
	}
	return t, nil
}

// route picks the centre for a position; it never fails: anything it
// cannot place goes to the province centre, saying why.
func (s *Service) route(loc *Position) (string, Routing) {
	if loc == nil {
		return geo.ProvinceCode, Routing{By: "province", Reason: "no position given; the province centre answers", Home: geo.ProvinceCode}
	}
	res, err := s.router.Route(loc.Lat, loc.Lng)
	switch {
	case err != nil:
		s.log.Warn("alarm: routing failed; sending to the province centre", "err", err)
		return geo.ProvinceCode, Routing{By: "province", Reason: "routing failed; the province centre answers", Home: geo.ProvinceCode}
	case res.Outside:
		rt := Routing{By: "outside", OutsideJurisdiction: true, Home: geo.ProvinceCode,
			Reason: "position is outside Hebei; the province centre answers and may hand over to the local 110"}
		if res.Nearest != "" {
			c := centerOf(res.Nearest)
			rt.Nearest, rt.NearestM = &c, res.NearestM
		}
		return geo.ProvinceCode, rt
	default:
		return res.Center, Routing{By: "position", Reason: res.Reason, Home: res.Center}
	}
}

func (s *Service) raise(ctx context.Context, in raiseInput) (Alarm, bool, error) {
	if in.loc != nil {
		if err := in.loc.Validate(); err != nil {
			return Alarm{}, false, err
		}
	}
	if in.idem != "" && !validIdemKey(in.idem) {
		return Alarm{}, false, ErrInvalidIdemKey
	}
	if err := validLinks(in.links); err != nil {
		return Alarm{}, false, err
	}
	text, err := checkText(in.text, false)
	if err != nil {
		return Alarm{}, false, err
	}
	if in.idem != "" {
		if a, ok, err := s.byIdem(ctx, in); ok || err != nil {
			return a, false, err
		}
	}
	center, routing := in.center, Routing{}
	if in.routing != nil {
		routing = *in.routing
	} else {
		center, routing = s.route(in.loc)
	}
	if in.channel == "" {
		in.channel = "app"
	}
	now := s.now()
	id := ids.New("a", now)
	// The prank counts are read before the write transaction, on the
	// reader pool: they are advisory (a flag for the dispatcher, never a
	// reason to drop an alarm), so they need not be exact to the
	// millisecond, and the writer — one connection shared by every
	// alarm on SQLite — is held for less.
	susp, err := s.suspicions(ctx, s.db, in, now)
	if err != nil {
		return Alarm{}, false, err
	}
	var out *row
	err = s.inTx(ctx, func(w *wtx) error {
		tx := w.Tx
		r := &row{Alarm: Alarm{ID: id, Kind: in.kind, State: Queued, Center: centerOf(center), Routing: routing,
			CallerID: in.callerID, CallerPhone: in.phone, Links: in.links, Suspected: len(susp) > 0, Suspicion: susp,
			RaisedAt: now, QueuedAt: now}, HomeCenter: center, RaisedByID: in.raisedByID, IdemKey: in.idem, ClientIP: in.ip,
			Active: []string{center}}
		if in.raisedBy != "" && in.raisedBy != "citizen:"+in.callerID {
			r.RaisedBy = in.raisedBy
		}
		var posSeq int64
		if in.loc != nil {
			posSeq = 1
			r.Location, r.LocationSeq, r.LatestSeq = in.loc, 1, 1
		}
		links := "{}"
		if len(in.links) > 0 {
			links = mustJSON(in.links)
		}
		_, err = tx.Exec(ctx, `INSERT INTO alarms (id, kind, state, center, home_center, routing, caller_id, caller_phone,
			raised_by, raised_by_id, client_ip, idem_key, links, lat, lng, accuracy_m, loc_source, loc_seq, last_pos_seq,
			suspected, suspicion, raised_at, queued_at)
			VALUES ($1, $2, 'queued', $3, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16, $17, $18, $19, $19)`,
			id, string(in.kind), center, mustJSON(routing), in.callerID, in.phone, r.RaisedBy, in.raisedByID, in.ip, in.idem,
			links, nullF(in.loc, func(p Position) float64 { return p.Lat }), nullF(in.loc, func(p Position) float64 { return p.Lng }),
			nullF(in.loc, func(p Position) float64 { return p.AccuracyM }), locSource(in.loc), posSeq,
			db.Bool(len(susp) > 0), mustJSON(susp), db.Micros(now))
		if err != nil {
			if db.IsUniqueViolation(err) {
				return errDuplicate
			}
			return fmt.Errorf("alarm: insert: %w", err)
		}
		if in.loc != nil {
			if err := insertPosition(ctx, tx, id, 1, *in.loc, now); err != nil {
				return err
			}
		}
		actor := in.raisedBy
		if actor == "" {
			actor = "system"
		}
		seq, err := w.event(ctx, r, "raised", actor, routing.Reason, false, nil)
		if err != nil {
			return err
		}
		if err := w.addOffer(ctx, r, center, "routed", seq); err != nil {
			return err
		}
		if text != "" {
			if _, err := w.addMessage(ctx, r, FromCaller, in.raisedBy, text, in.channel); err != nil {
				return err
			}
		}
		if in.inTx != nil {
			if err := in.inTx(ctx, w, id); err != nil {
				return err
			}
		}
		out = r
		return nil
	})
	if errors.Is(err, errDuplicate) && in.idem != "" {
		if a, ok, err := s.byIdem(ctx, in); ok || err != nil {
			return a, false, err
		}
		return Alarm{}, false, errDuplicate
	}
	if err != nil {
		return Alarm{}, false, err
	}
	s.m.raised(out)
	return out.Alarm, true, nil
}

var errDuplicate = apperr.New(apperr.Conflict, "duplicate_alarm", "an open alarm already exists")

func locSource(p *Position) string {
	if p == nil {
		return ""
	}
	return p.Source
}

func (s *Service) byIdem(ctx context.Context, in raiseInput) (Alarm, bool, error) {
	var id string
	err := s.db.WriteRow(ctx, "SELECT id FROM alarms WHERE caller_id = $1 AND idem_key = $2", in.callerID, in.idem).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return Alarm{}, false, nil
	}
	if err != nil {
		return Alarm{}, false, fmt.Errorf("alarm: idempotency lookup: %w", err)
	}
	r, err := loadRow(ctx, s.db, s.db.Dialect, id, false)
	if err != nil {
		return Alarm{}, false, err
	}
	if r.Kind != in.kind {
		return Alarm{}, false, ErrIdempotencyReused
	}
	return r.Alarm, true, nil
}

func insertPosition(ctx context.Context, q db.Querier, id string, seq int64, p Position, at time.Time) error {
	_, err := q.Exec(ctx, "INSERT INTO alarm_positions (alarm_id, seq, lat, lng, accuracy_m, source, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
		id, seq, p.Lat, p.Lng, p.AccuracyM, p.Source, db.Micros(at))
	if err != nil {
		return fmt.Errorf("alarm: insert position: %w", err)
	}
	return nil
}

// suspicions applies the prank thresholds. It only marks; it never rejects.
func (s *Service) suspicions(ctx context.Context, q db.Querier, in raiseInput, now time.Time) ([]Suspicion, error) {
	out := []Suspicion{}
	hour := db.Micros(now.Add(-time.Hour))
	count := func(query string, args ...any) (int, error) {
		var n int
		if err := q.QueryRow(ctx, query, args...).Scan(&n); err != nil {
			return 0, fmt.Errorf("alarm: prank check: %w", err)
		}
		return n, nil
	}
	perHour := s.Tuning().PhonePerHour
	if in.phone != "" {
		// Counted up to the threshold only: the cost stays flat however
		// many alarms one phone or IP (a NAT, a campus) has raised.
		n, err := count("SELECT COUNT(*) FROM (SELECT 1 FROM alarms WHERE caller_phone = $1 AND raised_at >= $2 LIMIT $3) t",
			in.phone, hour, perHour)
		if err != nil {
			return nil, err
		}
		if n >= perHour {
			out = append(out, Suspicion{Code: "phone_frequency", Detail: fmt.Sprintf("本号码1小时内报警超过%d次 (more than %d alarms from this phone in the last hour)", n, n)})
		}
		p, err := count("SELECT COUNT(*) FROM (SELECT 1 FROM alarms WHERE caller_phone = $1 AND raised_at >= $2 AND disposition IN ('prank', 'invalid') LIMIT 10) t",
			in.phone, db.Micros(now.Add(-s.cfg.Prank.PrankLookback)))
		if err != nil {
			return nil, err
		}
		if p > 0 {
			out = append(out, Suspicion{Code: "previous_prank", Detail: fmt.Sprintf("本号码近期有%d次报警被认定为骚扰或无效 (%d earlier alarms closed as prank/invalid)", p, p)})
		}
	}
	if in.ip != "" {
		n, err := count("SELECT COUNT(*) FROM (SELECT 1 FROM alarms WHERE client_ip = $1 AND raised_at >= $2 LIMIT $3) t",
			in.ip, hour, s.cfg.Prank.IPPerHour)
		if err != nil {
			return nil, err
		}
		if n >= s.cfg.Prank.IPPerHour {
			out = append(out, Suspicion{Code: "ip_frequency", Detail: fmt.Sprintf("同一IP 1小时内报警超过%d次 (more than %d alarms from this IP in the last hour)", n, n)})
		}
	}
	return out, nil
}

// Get returns one alarm. Errors: alarm_not_found (also for alarms p may not
// see: another centre's alarm does not exist for them).
func (s *Service) Get(ctx context.Context, p account.Principal, id string) (Alarm, error) {
	if !ids.Valid(id) {
		return Alarm{}, ErrNotFound
	}
	r, err := loadRow(ctx, s.db, s.db.Dialect, id, false)
	if err != nil {
		return Alarm{}, err
	}
	if err := s.visible(p, r); err != nil {
		return Alarm{}, err
	}
	return s.present(p, r), nil
}

// present shapes an alarm for the viewer: callers do not see suspicion
// marks or officers' usernames.
func (s *Service) present(p account.Principal, r *row) Alarm {
	a := r.Alarm
	if p.IsCitizen() {
		a = forCaller(a)
	}
	return a
}

func forCaller(a Alarm) Alarm {
	a.Suspected, a.Suspicion, a.AnsweredBy, a.RaisedBy = false, nil, "", ""
	return a
}

// Filter narrows List.
type Filter struct {
	State State // "" = any
	Limit int   // default 100, at most 500
}

// List returns alarms p may see, newest first (queued: oldest first — the
// order a dispatcher should answer in). Citizens see their own; dispatchers
// their centre's and those offered to it; supervisors their area.
func (s *Service) List(ctx context.Context, p account.Principal, f Filter) ([]Alarm, error) {
	if f.State != "" && !f.State.Valid() {
		return nil, ErrInvalidState
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	where, none, err := s.visibleWhere(p, f.State == Queued, arg)
	if err != nil {
		return nil, err
	}
	if none {
		return []Alarm{}, nil
	}
	if f.State != "" {
		where = append(where, "state = "+arg(string(f.State)))
	}
	order := "raised_at DESC"
	if f.State == Queued {
		order = "raised_at ASC"
	}
	q := "SELECT " + alarmCols + " FROM alarms"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY " + order + " LIMIT " + arg(f.Limit)
	rows, err := s.queryRows(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	out := make([]Alarm, 0, len(rows))
	for _, r := range rows {
		out = append(out, s.present(p, r))
	}
	return out, nil
}

// visibleWhere is the SQL condition on alarms for what p may list (arg
// binds a value and returns its placeholder). none: p sees no alarm at all.
// activeOnly limits officers to alarms offered to their centres now.
func (s *Service) visibleWhere(p account.Principal, activeOnly bool, arg func(any) string) (where []string, none bool, err error) {
	switch {
	case p.IsCitizen():
		a := arg(p.ID)
		where = append(where, "(caller_id = "+a+" OR raised_by_id = "+a+")")
	case p.IsOfficer(account.Dispatcher, account.Supervisor, account.Admin):
		centers := s.centersOf(p)
		if centers != nil {
			if len(centers) == 0 {
				return nil, true, nil
			}
			active := ""
			if activeOnly {
				active = " AND o.active = 1"
			}
			ph := make([]string, len(centers))
			for i, c := range centers {
				ph[i] = arg(c)
			}
			where = append(where, "EXISTS (SELECT 1 FROM alarm_offers o WHERE o.alarm_id = alarms.id AND o.center IN ("+strings.Join(ph, ", ")+")"+active+")")
		}
	default:
		return nil, false, apperr.ErrForbidden.Msg("your role may not list alarms")
	}
	return where, false, nil
}

func (s *Service) queryRows(ctx context.Context, q string, args ...any) ([]*row, error) {
	rs, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("alarm: list: %w", err)
	}
	var rows []*row
	for rs.Next() {
		r, err := scanAlarm(rs)
		if err != nil {
			rs.Close()
			return nil, fmt.Errorf("alarm: scan: %w", err)
		}
		rows = append(rows, r)
	}
	if err := rs.Err(); err != nil {
		rs.Close()
		return nil, fmt.Errorf("alarm: list: %w", err)
	}
	rs.Close()
	if err := loadOffers(ctx, s.db, rows); err != nil {
		return nil, err
	}
	return rows, nil
}

// centersOf lists the centres whose alarms an officer sees; nil means all
// (the province's supervisors and admins).
func (s *Service) centersOf(p account.Principal) []string {
	if p.IsOfficer(account.Dispatcher) {
		return []string{p.Center}
	}
	if p.IsOfficer(account.Supervisor, account.Admin) {
		if p.Center == geo.ProvinceCode {
			return nil
		}
		out := []string{}
		for _, u := range geo.Units() {
			if within(p.Center, u.Code) {
				out = append(out, u.Code)
			}
		}
		return out
	}
	return []string{}
}

// Answer gives the alarm to dispatcher p. Exactly one of many concurrent
// callers wins; the others get already_answered (409). Answering an alarm
// p already holds returns it unchanged. Errors: alarm_not_found,
// already_answered, invalid_transition, forbidden.
func (s *Service) Answer(ctx context.Context, p account.Principal, id string) (Alarm, error) {
	if !ids.Valid(id) {
		return Alarm{}, ErrNotFound
	}
	r, err := s.mutate(ctx, id, func(w *wtx, r *row) error {
		role := s.roleOf(p, r)
		if r.State == Answered && r.AnsweredBy == p.Username {
			return nil
		}
		// An officer who can see the alarm and finds it answered by someone
		// else learns exactly that (409), whatever their own role: the
		// console shows "already answered", not "forbidden".
		if r.State == Answered && role != RoleNone && p.IsOfficer() {
			return ErrAlreadyAnswered
		}
		if err := Authorize(p, role, r.view(), ActAnswer); err != nil {
			return err
		}
		if _, err := Next(r.State, ActAnswer); err != nil {
			return err
		}
		now := s.now()
		watch := db.Bool(s.hasConsole(p.Username))
		// The conditional UPDATE is the arbiter: whoever changes the row from
		// queued wins; a loser finds no row to change.
		res, err := w.Exec(ctx, `UPDATE alarms SET state = 'answered', answered_at = $2, answered_by = $3, center = $4,
			dispatcher_watch = $5, dispatcher_seen_at = $2,
			first_answered_at = CASE WHEN first_answered_at = 0 THEN $2 ELSE first_answered_at END,
			first_answered_by = CASE WHEN first_answered_by = '' THEN $3 ELSE first_answered_by END,
			first_center = CASE WHEN first_center = '' THEN $4 ELSE first_center END
			WHERE id = $1 AND state = 'queued'`, id, db.Micros(now), p.Username, p.Center, watch)
		if err != nil {
			return fmt.Errorf("alarm: answer: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrAlreadyAnswered
		}
		first := r.FirstAnsweredAt == 0
		r.State, r.AnsweredAt, r.AnsweredBy = Answered, &now, p.Username
		if r.Center.Code != p.Center {
			r.Center = centerOf(p.Center)
			reorder(r, p.Center)
		}
		if _, err := w.event(ctx, r, "answered", p.Actor(), "", false, map[string]any{"center": r.Center}); err != nil {
			return err
		}
		if first {
			s.m.answered(r, now.Sub(r.RaisedAt))
		}
		return nil
	})
	if err != nil {
		return Alarm{}, err
	}
	return s.present(p, r), nil
}

// reorder puts centre c first in r.Active (the owner) and refreshes OfferedTo.
func reorder(r *row, c string) {
	act := []string{c}
	for _, x := range r.Active {
		if x != c {
			act = append(act, x)
		}
	}
	r.Active = act
	r.OfferedTo = nil
	for _, x := range act[1:] {
		r.OfferedTo = append(r.OfferedTo, centerOf(x))
	}
}

func checkDisposition(d string) (string, error) {
	d = trimText(d)
	if d == "" || utf8.RuneCountInString(d) > 200 {
		return "", ErrInvalidDispo
	}
	return d, nil
}

// End closes the alarm with a disposition (a known code such as resolved,
// dispatched, prank — see Dispositions — or free text up to 200 characters).
// Errors: invalid_disposition, alarm_not_found, not_your_alarm,
// invalid_transition (already closed, cancelled, or still queued).
func (s *Service) End(ctx context.Context, p account.Principal, id, disposition string) (Alarm, error) {
	d, err := checkDisposition(disposition)
	if err != nil {
		return Alarm{}, err
	}
	if !ids.Valid(id) {
		return Alarm{}, ErrNotFound
	}
	r, err := s.mutate(ctx, id, func(w *wtx, r *row) error {
		if err := s.allowed(p, r, ActEnd); err != nil {
			return err
		}
		now := s.now()
		res, err := w.Exec(ctx, "UPDATE alarms SET state = 'closed', ended_at = $2, disposition = $3 WHERE id = $1 AND state = $4",
			id, db.Micros(now), d, string(r.State))
		if err != nil {
			return fmt.Errorf("alarm: end: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrTransition
		}
		r.State, r.EndedAt, r.Disposition = Closed, &now, d
		_, err = w.event(ctx, r, "closed", p.Actor(), d, false, map[string]any{"disposition": d})
		return err
	})
	if err != nil {
		return Alarm{}, err
	}
	s.m.ended(r)
	return s.present(p, r), nil
}

// allowed checks who (Authorize) and when (Next) for p doing a on r.
func (s *Service) allowed(p account.Principal, r *row, a Action) error {
	if err := Authorize(p, s.roleOf(p, r), r.view(), a); err != nil {
		return err
	}
	_, err := Next(r.State, a)
	return err
}

// Cancel withdraws the caller's own alarm before an answer. Errors:
// alarm_not_found, invalid_transition (answered or over).
func (s *Service) Cancel(ctx context.Context, p account.Principal, id, reason string) (Alarm, error) {
	if !ids.Valid(id) {
		return Alarm{}, ErrNotFound
	}
	reason = trimText(reason)
	if utf8.RuneCountInString(reason) > 200 {
		return Alarm{}, apperr.Invalidf("invalid_reason", "reason is longer than 200 characters")
	}
	r, err := s.mutate(ctx, id, func(w *wtx, r *row) error {
		if err := s.allowed(p, r, ActCancel); err != nil {
			if r.State == Answered && s.roleOf(p, r) == RoleCaller {
				return ErrTransition.Msg("a dispatcher has answered; tell them in the chat instead")
			}
			return err
		}
		now := s.now()
		if _, err := w.Exec(ctx, "UPDATE alarms SET state = 'cancelled', ended_at = $2, disposition = 'cancelled' WHERE id = $1 AND state = $3",
			id, db.Micros(now), string(r.State)); err != nil {
			return fmt.Errorf("alarm: cancel: %w", err)
		}
		r.State, r.EndedAt, r.Disposition = Cancelled, &now, "cancelled"
		_, err := w.event(ctx, r, "cancelled", p.Actor(), reason, false, nil)
		return err
	})
	if err != nil {
		return Alarm{}, err
	}
	s.m.ended(r)
	return s.present(p, r), nil
}

// Release puts an answered alarm back in the queue (the dispatcher hands it
// on, e.g. to leave for another call). Errors: alarm_not_found,
// not_your_alarm, invalid_transition.
func (s *Service) Release(ctx context.Context, p account.Principal, id, reason string) (Alarm, error) {
	if !ids.Valid(id) {
		return Alarm{}, ErrNotFound
	}
	r, err := s.mutate(ctx, id, func(w *wtx, r *row) error {
		if err := s.allowed(p, r, ActRequeue); err != nil {
			return err
		}
		return s.requeue(ctx, w, r, p.Actor(), firstNonEmpty(trimText(reason), "released"))
	})
	if err != nil {
		return Alarm{}, err
	}
	return s.present(p, r), nil
}

func (s *Service) requeue(ctx context.Context, w *wtx, r *row, actor, reason string) error {
	now := s.now()
	if _, err := w.Exec(ctx, `UPDATE alarms SET state = 'queued', answered_by = '', answered_at = 0, queued_at = $2,
		dispatcher_watch = 0 WHERE id = $1 AND state = 'answered'`, r.ID, db.Micros(now)); err != nil {
		return fmt.Errorf("alarm: requeue: %w", err)
	}
	prev := r.AnsweredBy
	r.State, r.AnsweredBy, r.AnsweredAt, r.QueuedAt = Queued, "", nil, now
	_, err := w.event(ctx, r, "requeued", actor, reason, false, map[string]any{"previous_dispatcher": prev})
	return err
}

func firstNonEmpty(a ...string) string {
	for _, s := range a {
		if s != "" {
			return s
		}
	}
	return ""
}

// Transfer moves the alarm to another centre by hand, with a note: it
// becomes queued there; the centres that had it keep read access (history).
// Errors: invalid_center, invalid_note, alarm_not_found, not_your_alarm,
// invalid_transition.
func (s *Service) Transfer(ctx context.Context, p account.Principal, id, to, note, requestIP string) (Alarm, error) {
	if _, ok := geo.UnitByCode(to); !ok {
		return Alarm{}, ErrInvalidCenter
	}
	note = trimText(note)
	if note == "" || utf8.RuneCountInString(note) > 500 {
		return Alarm{}, apperr.Invalidf("invalid_note", "a transfer needs a note (at most 500 characters)")
	}
	if !ids.Valid(id) {
		return Alarm{}, ErrNotFound
	}
	r, err := s.mutate(ctx, id, func(w *wtx, r *row) error {
		if err := s.allowed(p, r, ActTransfer); err != nil {
			return err
		}
		if to == r.Center.Code {
			return apperr.Invalidf("invalid_center", "the alarm is already at that centre")
		}
		now := s.now()
		from := r.Center
		if _, err := w.Exec(ctx, `UPDATE alarms SET state = 'queued', center = $2, answered_by = '', answered_at = 0,
			queued_at = $3, overflow_level = 0, dispatcher_watch = 0 WHERE id = $1 AND state = $4`,
			id, to, db.Micros(now), string(r.State)); err != nil {
			return fmt.Errorf("alarm: transfer: %w", err)
		}
		for _, c := range r.Active {
			if c != to && !slices.Contains(r.Past, c) {
				r.Past = append(r.Past, c)
			}
		}
		r.Past = slices.DeleteFunc(r.Past, func(c string) bool { return c == to })
		r.State, r.Center, r.AnsweredBy, r.AnsweredAt, r.QueuedAt, r.Overflow = Queued, centerOf(to), "", nil, now, 0
		r.Active, r.OfferedTo = []string{to}, nil
		seq, err := w.event(ctx, r, "transferred", p.Actor(), note, false, map[string]any{"from": from, "to": r.Center, "note": note})
		if err != nil {
			return err
		}
		if _, err := w.Exec(ctx, "UPDATE alarm_offers SET active = 0, until_seq = $2 WHERE alarm_id = $1 AND center <> $3 AND active = 1",
			id, seq, to); err != nil {
			return fmt.Errorf("alarm: transfer offers: %w", err)
		}
		if err := w.addOffer(ctx, r, to, "transfer", seq); err != nil {
			return err
		}
		if s.audit != nil {
			_, err := s.audit.AppendTx(ctx, w.Tx, audit.Entry{Actor: p.Actor(), ActorIP: p.SignInIP, RequestIP: requestIP,
				Action: "alarm.transfer", Object: "alarm:" + id, Subject: subjectOf(r), Reason: note,
				Detail: map[string]any{"from": from.Code, "to": to}})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Alarm{}, err
	}
	return s.present(p, r), nil
}

func subjectOf(r *row) string {
	if r.CallerID != "" {
		return "citizen:" + r.CallerID
	}
	if r.CallerPhone != "" {
		return "phone:" + r.CallerPhone
	}
	return ""
}

// Access is what a principal may do with an alarm, for features that plug
// into alarms (media: who may publish or watch which stream).
type Access struct {
	AlarmID     string `json:"alarm_id"`
	Role        Role   `json:"role"` // caller, dispatcher or observer
	Answerer    bool   `json:"answerer"`
	Kind        Kind   `json:"kind"`
	State       State  `json:"state"`
	Center      Center `json:"center"`
	CallerID    string `json:"caller_id,omitempty"`
	CallerPhone string `json:"caller_phone,omitempty"`
	AnsweredBy  string `json:"answered_by,omitempty"`
}

// Access returns p's access to the alarm. Errors: alarm_not_found when p
// has none (role none) or the alarm does not exist.
func (s *Service) Access(ctx context.Context, p account.Principal, alarmID string) (Access, error) {
	if !ids.Valid(alarmID) {
		return Access{}, ErrNotFound
	}
	r, err := loadRow(ctx, s.db, s.db.Dialect, alarmID, false)
	if err != nil {
		return Access{}, err
	}
	role := s.roleOf(p, r)
	if role == RoleNone {
		return Access{}, ErrNotFound
	}
	return Access{AlarmID: r.ID, Role: role, Answerer: r.State == Answered && p.IsOfficer() && r.AnsweredBy == p.Username,
		Kind: r.Kind, State: r.State, Center: r.Center, CallerID: r.CallerID, CallerPhone: r.CallerPhone, AnsweredBy: r.AnsweredBy}, nil
}

// AddSystemMessage posts a platform note into the alarm's chat (e.g. media:
// "视频链接已发送"). actor names the feature for the event log ("media").
// Errors: alarm_not_found, invalid_transition (closed or cancelled),
// empty_message, message_too_long.
func (s *Service) AddSystemMessage(ctx context.Context, alarmID, actor, text string) (Message, error) {
	return s.addSystem(ctx, alarmID, actor, text, "app")
}

func (s *Service) addSystem(ctx context.Context, alarmID, actor, text, channel string) (Message, error) {
	t, err := checkText(text, true)
	if err != nil {
		return Message{}, err
	}
	if !ids.Valid(alarmID) {
		return Message{}, ErrNotFound
	}
	var m Message
	_, err = s.mutate(ctx, alarmID, func(w *wtx, r *row) error {
		if r.State.Terminal() {
			return ErrTransition.Msg("the alarm is over")
		}
		var err error
		m, err = w.addMessage(ctx, r, FromSystem, firstNonEmpty(actor, "system"), t, channel)
		return err
	})
	return m, err
}

// CallerGone marks the caller as gone (media: the caller's call dropped).
// A queued alarm becomes abandoned (kept for call-back); others are left as
// they are. Errors: alarm_not_found.
func (s *Service) CallerGone(ctx context.Context, alarmID, reason string) (Alarm, error) {
	if !ids.Valid(alarmID) {
		return Alarm{}, ErrNotFound
	}
	r, err := s.mutate(ctx, alarmID, func(w *wtx, r *row) error {
		if r.State != Queued {
			_, err := w.Exec(ctx, "UPDATE alarms SET caller_seen_at = $2 WHERE id = $1", alarmID, db.Micros(s.now()))
			return err
		}
		return s.abandon(ctx, w, r, firstNonEmpty(reason, "caller_gone"))
	})
	if err != nil {
		return Alarm{}, err
	}
	return r.Alarm, nil
}

func (s *Service) abandon(ctx context.Context, w *wtx, r *row, reason string) error {
	if _, err := w.Exec(ctx, "UPDATE alarms SET state = 'abandoned', was_abandoned = 1, caller_watch = 0 WHERE id = $1 AND state = 'queued'", r.ID); err != nil {
		return fmt.Errorf("alarm: abandon: %w", err)
	}
	r.State = Abandoned
	_, err := w.event(ctx, r, "abandoned", "system", reason, false, nil)
	if err == nil {
		s.m.abandoned(r)
	}
	return err
}

// CallerPresent records that the caller is reachable (media: the caller's
// peer connected). An abandoned alarm returns to the queue. Errors:
// alarm_not_found.
func (s *Service) CallerPresent(ctx context.Context, alarmID string) error {
	if !ids.Valid(alarmID) {
		return ErrNotFound
	}
	_, err := s.mutate(ctx, alarmID, func(w *wtx, r *row) error {
		return s.touchCaller(ctx, w, r, true)
	})
	return err
}

// touchCaller refreshes the caller's presence and returns an abandoned
// alarm to the queue. watch says a live connection now exists.
func (s *Service) touchCaller(ctx context.Context, w *wtx, r *row, watch bool) error {
	now := s.now()
	if _, err := w.Exec(ctx, "UPDATE alarms SET caller_seen_at = $2, caller_watch = CASE WHEN $3 = 1 THEN 1 ELSE caller_watch END WHERE id = $1",
		r.ID, db.Micros(now), db.Bool(watch)); err != nil {
		return fmt.Errorf("alarm: caller presence: %w", err)
	}
	if r.State != Abandoned {
		return nil
	}
	if _, err := w.Exec(ctx, "UPDATE alarms SET state = 'queued', queued_at = $2 WHERE id = $1 AND state = 'abandoned'", r.ID, db.Micros(now)); err != nil {
		return fmt.Errorf("alarm: return: %w", err)
	}
	r.State, r.QueuedAt = Queued, now
	_, err := w.event(ctx, r, "returned", "system", "caller is back", false, nil)
	return err
}

// consoles: which officers have a live console on this node (for the
// dispatcher-grace watch flag at answer time).
func (s *Service) hasConsole(username string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.consoles[username] > 0
}

func (s *Service) consoleOpen(username string, delta int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.consoles[username] += delta
	if s.consoles[username] <= 0 {
		delete(s.consoles, username)
	}
}
