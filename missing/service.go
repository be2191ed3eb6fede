package missing

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"open110/account"
	"open110/audit"
	"open110/geo"
	"open110/platform/api"
	"open110/platform/apperr"
	"open110/platform/blob"
	"open110/platform/bus"
	"open110/platform/db"
)

// Centers tells which command centres are active (account.Service does).
type Centers interface {
	GetCenter(ctx context.Context, code string) (account.Center, error)
}

// Router routes a position to its county and city and gives a unit's label
// point (*geo.Router does).
type Router interface {
	Route(lat, lng float64) (geo.Route, error)
	Boundary(code string, zoom int) (geo.Feature, bool)
}

// Deps are what the service needs; cmd/app wires them.
type Deps struct {
	DB       *db.DB
	Bus      bus.Bus
	Blob     blob.Store
	Audit    *audit.Log
	Centers  Centers
	Router   Router
	Notifier Notifier // nil: live wake-ups over the bus only (BusNotifier)
	Now      func() time.Time
	Log      *slog.Logger
	// Tick is how often the alert timer looks for rings to widen (default 30 s).
	Tick time.Duration
}

// Service is the missing-person feature.
type Service struct {
	db       *db.DB
	bus      bus.Bus
	blob     blob.Store
	audit    *audit.Log
	centers  Centers
	router   Router
	notifier Notifier
	now      func() time.Time
	log      *slog.Logger
	tick     time.Duration

	idxMu     sync.Mutex
	idx       *AreaIndex   // nil until first needed (loaded from the DB)
	idxSince  time.Time    // opt-ins updated at or after this are re-read on refresh
	idxReady  atomic.Bool  // idx is loaded (read without idxMu, which a load holds for seconds)
	labels    sync.Map     // unit code → [2]float64 label point
	submitLim *api.Limiter // submissions per citizen
	sightLim  *api.Limiter // sightings per citizen or, signed out, per IP
}

// New returns the service.
func New(d Deps) *Service {
	s := &Service{db: d.DB, bus: d.Bus, blob: d.Blob, audit: d.Audit, centers: d.Centers, router: d.Router,
		notifier: d.Notifier, now: d.Now, log: d.Log, tick: d.Tick}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.tick <= 0 {
		s.tick = 30 * time.Second
	}
	if s.notifier == nil {
		s.notifier = BusNotifier{Bus: d.Bus, Log: s.log}
	}
	// A family submits one notice, perhaps a few after corrections: 10 a
	// minute with bursts of 5 only stops scripts. Sightings: 20 a minute
	// with bursts of 10 per citizen or (signed out) per IP.
	s.submitLim = api.NewLimiter(10, 5, s.now)
	s.sightLim = api.NewLimiter(20, 10, s.now)
	return s
}

// Caller is who makes a request: the principal (zero when signed out) and
// the request's IP, for the audit log.
type Caller struct {
	account.Principal
	IP string
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Bus subjects (wake-ups only; clients re-read the database).
const (
	subjCenter    = "missing.center."  // + centre code: the console
	subjCitizen   = "missing.citizen." // + citizen id: the initiator
	subjBroadcast = "missing.broadcast"
	subjOptin     = "missing.optin"
)

func (s *Service) wake(subjects ...string) {
	for _, subj := range subjects {
		if subj == "" {
			continue
		}
		if err := s.bus.Publish(context.Background(), subj, []byte("{}")); err != nil {
			s.log.Warn("missing: wake-up not sent (clients poll)", "subject", subj, "err", err)
		}
	}
}

func (s *Service) auditTx(ctx context.Context, tx *db.Tx, c Caller, action, object, subject, reason string, detail map[string]any) error {
	_, err := s.audit.AppendTx(ctx, tx, audit.Entry{Actor: c.Actor(), ActorIP: c.SignInIP, RequestIP: c.IP, Action: action,
		Object: object, Subject: subject, Reason: reason, Detail: detail})
	return err
}

func obj(id string) string { return "missing:" + id }

func citizenSubject(id string) string {
	if id == "" {
		return ""
	}
	return "citizen:" + id
}

// canSee: officers of the responsible centre, and of the province.
func canSee(p account.Principal, n notice) bool {
	return p.IsOfficer() && (p.Center == n.Center || p.Center == account.ProvinceCenter)
}

// actingRoles may change a notice; dispatchers of the centre may only read.
var actingRoles = []account.Role{account.Handler, account.Supervisor, account.Admin}

// officerNotice loads a notice an officer may act on. Officers of other
// centres get not_found (they may not learn it exists).
func (s *Service) officerNotice(ctx context.Context, q db.Querier, c Caller, id string, act bool) (notice, error) {
	if !c.SignedIn() {
		return notice{}, apperr.ErrUnauthorized
	}
	if !c.IsOfficer() {
		return notice{}, apperr.ErrForbidden.Msg("officers only")
	}
	n, err := getNotice(ctx, q, id)
	if err != nil {
		return n, err
	}
	if !canSee(c.Principal, n) {
		return n, ErrNotFound
	}
	if act && !c.IsOfficer(actingRoles...) {
		return n, apperr.ErrForbidden.Msg("handling officers and supervisors act on notices; dispatchers may read them")
	}
	return n, nil
}

// ownNotice loads the caller's own notice; others' are not_found.
func (s *Service) ownNotice(ctx context.Context, q db.Querier, c Caller, id string) (notice, error) {
	if !c.SignedIn() {
		return notice{}, apperr.ErrUnauthorized
	}
	n, err := getNotice(ctx, q, id)
	if err != nil {
		return n, err
	}
	if !c.IsCitizen() || n.CitizenID != c.ID {
		return n, ErrNotFound
	}
	return n, nil
}

// responsibleCenter is the centre covering the accepting unit: a county's
// own centre when it runs one, else its city's; a city's; the province's.
func (s *Service) responsibleCenter(ctx context.Context, u geo.Unit) (string, error) {
	if u.Level != geo.LevelCounty {
		return u.Code, nil
	}
	c, err := s.centers.GetCenter(ctx, u.Code)
	if err != nil && !errors.Is(err, account.ErrUnknownCenter) {
		return "", err
	}
	if err == nil && c.Active {
		return u.Code, nil
	}
	return u.Parent, nil
}

// Submit stores a new notice in state submitted for the centre covering
// the accepting unit. Errors: validation codes (validate.go), unauthorized,
// forbidden (not a citizen), duplicate_case.
func (s *Service) Submit(ctx context.Context, c Caller, in Submission) (Detail, error) {
	if !c.SignedIn() {
		return Detail{}, apperr.ErrUnauthorized
	}
	if !c.IsCitizen() {
		return Detail{}, apperr.ErrForbidden.Msg("notices are submitted by the family, from the citizen app")
	}
	now := s.clock()
	v, err := validate(in, now, c.Phone)
	if err != nil {
		return Detail{}, err
	}
	// Limited after validation: a family correcting a form is not a flood.
	if err := s.submitLim.Allow(c.ID); err != nil {
		return Detail{}, err
	}
	center, err := s.responsibleCenter(ctx, v.unit)
	if err != nil {
		return Detail{}, err
	}
	// The feed's city is where the person was last seen; outside Hebei (a
	// Hebei case last seen elsewhere) it is the accepting unit's city.
	city, county := v.unit.Code, ""
	if v.unit.Level == geo.LevelCounty {
		city = v.unit.Parent
	}
	if rt, err := s.router.Route(v.pos.Lat, v.pos.Lng); err == nil {
		city, county = rt.City.Code, rt.County.Code
	} else if apperr.CodeOf(err) != geo.CodeOutsideJurisdiction {
		return Detail{}, apperr.From(err).With("field", "last_seen.position")
	}
	n := notice{
		ID: account.NewID("mp"), CitizenID: c.ID, State: Submitted, Center: center, Unit: v.unit.Code, UnitPhone: v.unitPhone,
		CaseNumber: v.caseNumber, P: v.person, LastSeenAt: v.lastSeenAt, Lat: v.pos.Lat, Lng: v.pos.Lng, Acc: v.pos.AccuracyM,
		Place: v.place, City: city, County: county, InitName: v.initName, Relation: v.relation, Contact: v.contact,
		Address: v.address, CreatedAt: now, UpdatedAt: now, Checks: "{}",
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := insertNotice(ctx, tx, n); err != nil {
			return err
		}
		if _, err := addEvent(ctx, tx, event{NoticeID: n.ID, Center: n.Center, CitizenID: n.CitizenID, Kind: evSubmitted, At: now}); err != nil {
			return err
		}
		return s.auditTx(ctx, tx, c, "missing.submit", obj(n.ID), citizenSubject(c.ID), "", map[string]any{"center": center, "unit": n.Unit, "case_number": n.CaseNumber})
	})
	if err != nil {
		return Detail{}, err
	}
	s.wake(subjCenter+n.Center, subjCitizen+n.CitizenID)
	return privateDetail(n, nil, false), nil
}

// tooLargeReader fails once more than limit bytes pass.
type tooLargeReader struct {
	r     io.Reader
	left  int64
	limit int64
}

func (t *tooLargeReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.left -= int64(n)
	if t.left < 0 {
		return n, ErrMediaTooLarge.Msg("the file is larger than %d MiB", t.limit>>20)
	}
	return n, err
}

// putMedia sniffs r's type from its first bytes and stores it in the blob
// store within the type's size limit. allowVideo false accepts photos only.
// On any error nothing is stored.
func (s *Service) putMedia(ctx context.Context, r io.Reader, allowVideo bool) (kind, ctype string, o blob.Object, err error) {
	head := make([]byte, 512)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", "", o, apperr.From(err)
	}
	head = head[:n]
	kind, ctype, limit, err := SniffMedia(head)
	if err != nil {
		return "", "", o, err
	}
	if kind == "video" && !allowVideo {
		return "", "", o, ErrMediaType.Msg("send a photo (JPEG, PNG, WebP or GIF)")
	}
	o, err = s.blob.Put(ctx, &tooLargeReader{r: io.MultiReader(bytes.NewReader(head), r), left: limit, limit: limit})
	if err != nil {
		var ae *apperr.Error
		if errors.As(err, &ae) {
			return "", "", o, ae
		}
		return "", "", o, fmt.Errorf("missing: store media: %w", err)
	}
	return kind, ctype, o, nil
}

// AddMedia stores a photo or video for the caller's own notice while it is
// submitted or verifying. Errors: notice_not_found, invalid_state,
// too_many_media, unsupported_media, media_too_large, media_empty.
func (s *Service) AddMedia(ctx context.Context, c Caller, id string, r io.Reader) (MediaView, error) {
	n, err := s.ownNotice(ctx, s.db, c, id)
	if err != nil {
		return MediaView{}, err
	}
	if n.State != Submitted && n.State != Verifying {
		return MediaView{}, ErrBadState.Msg("photos and videos can be added until the notice is published")
	}
	if ms, err := listMedia(ctx, s.db, id); err != nil {
		return MediaView{}, err
	} else if len(ms) >= MaxMedia {
		return MediaView{}, ErrTooManyMedia
	}
	kind, ctype, o, err := s.putMedia(ctx, r, true)
	if err != nil {
		return MediaView{}, err
	}
	now := s.clock()
	m := media{NoticeID: id, SHA256: o.SHA256, Kind: kind, ContentType: ctype, Size: o.Size, AddedAt: now}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var count int
		if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM missing_media WHERE notice_id = $1", id).Scan(&count); err != nil {
			return fmt.Errorf("missing: count media: %w", err)
		}
		if count >= MaxMedia {
			return ErrTooManyMedia
		}
		res, err := tx.Exec(ctx, `INSERT INTO missing_media (notice_id, sha256, kind, content_type, size, added_at) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (notice_id, sha256) DO NOTHING`, id, m.SHA256, m.Kind, m.ContentType, m.Size, db.Micros(now))
		if err != nil {
			return fmt.Errorf("missing: add media: %w", err)
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return nil // the same file again: nothing changes
		}
		if kind == "photo" {
			if _, err := tx.Exec(ctx, "UPDATE missing_notices SET cover_sha = $1 WHERE id = $2 AND cover_sha = ''", m.SHA256, id); err != nil {
				return fmt.Errorf("missing: cover: %w", err)
			}
		}
		if _, err := addEvent(ctx, tx, event{NoticeID: id, Center: n.Center, Kind: evMedia, At: now}); err != nil {
			return err
		}
		return s.auditTx(ctx, tx, c, "missing.media.add", obj(id), citizenSubject(n.CitizenID), "",
			map[string]any{"sha256": m.SHA256, "size": m.Size, "content_type": ctype})
	})
	if err != nil {
		return MediaView{}, err
	}
	s.wake(subjCenter + n.Center)
	return mediaView(m, "/api/v1/missing/notices/"+id+"/media/"), nil
}

// Get returns a notice for its initiator or an officer of the responsible
// centre (or the province); everyone else gets notice_not_found. An
// officer's read is audited (it shows the family's contact).
func (s *Service) Get(ctx context.Context, c Caller, id string) (Detail, error) {
	if !c.SignedIn() {
		return Detail{}, apperr.ErrUnauthorized
	}
	var n notice
	var err error
	officer := c.IsOfficer()
	if officer {
		n, err = s.officerNotice(ctx, s.db, c, id, false)
	} else {
		n, err = s.ownNotice(ctx, s.db, c, id)
	}
	if err != nil {
		return Detail{}, err
	}
	ms, err := listMedia(ctx, s.db, id)
	if err != nil {
		return Detail{}, err
	}
	d := privateDetail(n, ms, officer)
	if d.Progress, err = s.progress(ctx, n); err != nil {
		return Detail{}, err
	}
	if officer {
		err := s.db.InTx(ctx, func(tx *db.Tx) error {
			return s.auditTx(ctx, tx, c, "missing.view", obj(id), citizenSubject(n.CitizenID), "", nil)
		})
		if err != nil {
			return Detail{}, err
		}
	}
	return d, nil
}

func (s *Service) progress(ctx context.Context, n notice) (*ProgressView, error) {
	counts, err := sightingCounts(ctx, s.db, n.ID)
	if err != nil {
		return nil, err
	}
	p := &ProgressView{ByStatus: counts, Notes: []NoteView{}}
	for _, k := range counts {
		p.Sightings += k
	}
	es, err := queryEvents(ctx, s.db, "WHERE notice_id = $1 AND kind = $2 ORDER BY seq", n.ID, evProgress)
	if err != nil {
		return nil, err
	}
	for _, e := range es {
		text, _ := e.Detail["text"].(string)
		p.Notes = append(p.Notes, NoteView{Text: text, At: e.At})
	}
	return p, nil
}

// List returns the caller's notices: a citizen's own (newest first); an
// officer's centre's (all centres for the province) in the given states,
// oldest first so the queue is worked in order. Lists never carry the
// family's contact.
func (s *Service) List(ctx context.Context, c Caller, states []State, limit int) ([]Detail, error) {
	if !c.SignedIn() {
		return nil, apperr.ErrUnauthorized
	}
	if limit <= 0 || limit > 200 {
		limit = 200
	}
	var ns []notice
	var err error
	if c.IsCitizen() {
		ns, err = queryNotices(ctx, s.db, "WHERE citizen_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2", c.ID, limit)
	} else {
		if len(states) == 0 {
			states = []State{Submitted, Verifying}
		}
		ss := make([]string, len(states))
		for i, st := range states {
			ss[i] = string(st)
		}
		if c.Center == account.ProvinceCenter {
			ph, args := inList(1, ss)
			ns, err = queryNotices(ctx, s.db, "WHERE state IN ("+ph+") ORDER BY created_at, id LIMIT $"+fmt.Sprint(len(ss)+1), append(args, limit)...)
		} else {
			ph, args := inList(2, ss)
			ns, err = queryNotices(ctx, s.db, "WHERE center_code = $1 AND state IN ("+ph+") ORDER BY created_at, id LIMIT $"+fmt.Sprint(len(ss)+2),
				append(append([]any{c.Center}, args...), limit)...)
		}
	}
	if err != nil {
		return nil, err
	}
	out := make([]Detail, 0, len(ns))
	for _, n := range ns {
		d := privateDetail(n, nil, false)
		d.Initiator = nil
		out = append(out, d)
	}
	return out, nil
}

// ParseStates parses a comma-separated state filter. Error: invalid_state_filter.
func ParseStates(s string) ([]State, error) {
	if s == "" {
		return nil, nil
	}
	var out []State
	for _, p := range strings.Split(s, ",") {
		switch st := State(strings.TrimSpace(p)); st {
		case Submitted, Verifying, Published, Rejected, Closed:
			out = append(out, st)
		default:
			return nil, apperr.Newf(apperr.Invalid, "invalid_state_filter", "unknown state %q", p)
		}
	}
	return out, nil
}

// StartVerify moves a submitted notice to verifying and records the
// officer as its verifier. Errors: not_found, forbidden, invalid_state.
func (s *Service) StartVerify(ctx context.Context, c Caller, id, note string) (Detail, error) {
	note, err := cleanText("note", note, maxReason, false)
	if err != nil {
		return Detail{}, err
	}
	return s.change(ctx, c, id, func(tx *db.Tx, n *notice, now time.Time) (string, []event, error) {
		if err := updateState(ctx, tx, id, Submitted, Verifying, now, ", verifier = $4", c.Username); err != nil {
			return "", nil, err
		}
		n.State, n.Verifier = Verifying, c.Username
		return "missing.verify.start", []event{stateEvent(*n, now, nil)}, nil
	}, note)
}

// Checks is what the centre checked before publishing (or rejecting).
type Checks struct {
	InitiatorContacted  bool   `json:"initiator_contacted"`   // spoke with the family
	UnitConfirmed       bool   `json:"unit_confirmed"`        // the accepting unit confirmed the report
	CaseNumberConfirmed bool   `json:"case_number_confirmed"` // and the case acceptance number
	Note                string `json:"note"`
}

// PublishInput is an officer's decision to publish.
type PublishInput struct {
	Checks      Checks `json:"checks"`
	PlacePublic string `json:"place_public"` // optional public wording of the place last seen
}

func (s *Service) checksJSON(c Caller, ch Checks, now time.Time) (string, error) {
	note, err := cleanText("checks.note", ch.Note, maxReason, false)
	if err != nil {
		return "", err
	}
	b, _ := json.Marshal(map[string]any{"initiator_contacted": ch.InitiatorContacted, "unit_confirmed": ch.UnitConfirmed,
		"case_number_confirmed": ch.CaseNumberConfirmed, "note": note, "by": c.Username, "at": now})
	return string(b), nil
}

func stateEvent(n notice, now time.Time, detail map[string]any) event {
	d := map[string]any{"state": string(n.State)}
	for k, v := range detail {
		d[k] = v
	}
	return event{NoticeID: n.ID, Center: n.Center, CitizenID: n.CitizenID, Kind: evState, At: now, Detail: d}
}

// Publish makes a verifying notice public once the accepting unit and the
// case number are confirmed, and sends the first alert ring (its radius
// from the time since last seen; the timer widens it later). Errors:
// not_found, forbidden, invalid_state, checks_incomplete.
func (s *Service) Publish(ctx context.Context, c Caller, id string, in PublishInput) (Detail, error) {
	if !in.Checks.UnitConfirmed || !in.Checks.CaseNumberConfirmed {
		return Detail{}, ErrChecksIncomplete
	}
	place, err := cleanText("place_public", in.PlacePublic, maxPlace, false)
	if err != nil {
		return Detail{}, err
	}
	var alert event
	d, err := s.change(ctx, c, id, func(tx *db.Tx, n *notice, now time.Time) (string, []event, error) {
		checks, err := s.checksJSON(c, in.Checks, now)
		if err != nil {
			return "", nil, err
		}
		km, next := RadiusKm(now.Sub(n.LastSeenAt))
		var nextAt time.Time
		if next > 0 {
			nextAt = n.LastSeenAt.Add(next)
		}
		if err := updateState(ctx, tx, id, Verifying, Published, now,
			", published_at = $4, checks = $5, place_public = $6, alert_radius_km = $7, next_ring_at = $8, verifier = $9",
			db.Micros(now), checks, place, km, db.Micros(nextAt), c.Username); err != nil {
			return "", nil, err
		}
		n.State, n.PublishedAt, n.Checks, n.PlacePublic, n.AlertRadiusKm, n.NextRingAt, n.Verifier = Published, now, checks, place, km, nextAt, c.Username
		alert = event{NoticeID: id, Center: n.Center, Kind: evAlert, RadiusKm: km, Lat: n.Lat, Lng: n.Lng, At: now}
		return "missing.publish", []event{stateEvent(*n, now, nil), alert}, nil
	}, "")
	if err != nil {
		return Detail{}, err
	}
	return d, nil
}

// Reject refuses a submitted or verifying notice with a reason the
// initiator sees. Errors: missing_field (reason), not_found, forbidden,
// invalid_state.
func (s *Service) Reject(ctx context.Context, c Caller, id, reason string, checks *Checks) (Detail, error) {
	reason, err := cleanText("reason", reason, maxReason, true)
	if err != nil {
		return Detail{}, err
	}
	return s.change(ctx, c, id, func(tx *db.Tx, n *notice, now time.Time) (string, []event, error) {
		set, args := ", reject_reason = $4", []any{reason}
		if checks != nil {
			cj, err := s.checksJSON(c, *checks, now)
			if err != nil {
				return "", nil, err
			}
			set, args = set+", checks = $5", append(args, cj)
		}
		if n.State != Submitted && n.State != Verifying {
			return "", nil, ErrBadState.Msg("only a notice not yet published can be rejected; close a published one")
		}
		if err := updateState(ctx, tx, id, n.State, Rejected, now, set, args...); err != nil {
			return "", nil, err
		}
		n.State, n.RejectReason = Rejected, reason
		return "missing.reject", []event{stateEvent(*n, now, map[string]any{"reason": reason})}, nil
	}, reason)
}

// defaultClosure is the closure notice when the officer writes none.
func defaultClosure(o Outcome, name string) string {
	switch o {
	case Found:
		return "经公安机关核实，" + name + "已找到。感谢社会各界的关注与帮助！"
	case Withdrawn:
		return "该寻人启事已由发起人撤回。感谢社会各界的关注与帮助！"
	default:
		return "经公安机关核实，该寻人启事不实，已撤销。请勿继续转发。"
	}
}

// Close ends a notice as found, withdrawn or hoax. A published notice gets
// a public closure notice (the text given, or a standard one) that
// replaces it, and the closure reaches everyone who was alerted. Errors:
// invalid_outcome, not_found, forbidden, invalid_state.
func (s *Service) Close(ctx context.Context, c Caller, id string, outcome Outcome, text string) (Detail, error) {
	switch outcome {
	case Found, Withdrawn, Hoax:
	default:
		return Detail{}, apperr.New(apperr.Invalid, "invalid_outcome", "outcome must be found, withdrawn or hoax").With("field", "outcome")
	}
	text, err := cleanText("notice", text, maxReason, false)
	if err != nil {
		return Detail{}, err
	}
	return s.change(ctx, c, id, func(tx *db.Tx, n *notice, now time.Time) (string, []event, error) {
		if !transition(n.State, Closed) {
			return "", nil, ErrBadState.Msg("the notice is already %s", n.State)
		}
		if text == "" {
			text = defaultClosure(outcome, n.P.name)
		}
		if err := updateState(ctx, tx, id, n.State, Closed, now, ", closed_at = $4, outcome = $5, closure_notice = $6, next_ring_at = 0",
			db.Micros(now), string(outcome), text); err != nil {
			return "", nil, err
		}
		wasPublished := n.State == Published
		n.State, n.ClosedAt, n.Outcome, n.ClosureNotice, n.NextRingAt = Closed, now, outcome, text, time.Time{}
		evs := []event{stateEvent(*n, now, map[string]any{"outcome": string(outcome)})}
		if wasPublished && n.AlertRadiusKm > 0 {
			evs = append(evs, event{NoticeID: id, Center: n.Center, Kind: evClosure, RadiusKm: n.AlertRadiusKm, Lat: n.Lat, Lng: n.Lng, At: now})
		}
		return "missing.close", evs, nil
	}, string(outcome))
}

// Withdraw lets the initiator take back a notice before it is published
// (closed, withdrawn; never public). A published notice is closed by the
// centre: the family calls the accepting unit. Errors: not_found,
// invalid_state.
func (s *Service) Withdraw(ctx context.Context, c Caller, id string) (Detail, error) {
	n, err := s.ownNotice(ctx, s.db, c, id)
	if err != nil {
		return Detail{}, err
	}
	if n.State != Submitted && n.State != Verifying {
		return Detail{}, ErrBadState.Msg("a published notice is closed by the command centre: please call the accepting police unit")
	}
	now := s.clock()
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := updateState(ctx, tx, id, n.State, Closed, now, ", closed_at = $4, outcome = $5, next_ring_at = 0", db.Micros(now), string(Withdrawn)); err != nil {
			return err
		}
		n.State, n.ClosedAt, n.Outcome = Closed, now, Withdrawn
		if _, err := addEvent(ctx, tx, stateEvent(n, now, map[string]any{"outcome": string(Withdrawn)})); err != nil {
			return err
		}
		return s.auditTx(ctx, tx, c, "missing.withdraw", obj(id), citizenSubject(n.CitizenID), "", nil)
	})
	if err != nil {
		return Detail{}, err
	}
	s.wake(subjCenter+n.Center, subjCitizen+n.CitizenID)
	return privateDetail(n, nil, false), nil
}

// AddProgress records a progress note from the centre that the initiator
// sees. Errors: missing_field, not_found, forbidden, invalid_state.
func (s *Service) AddProgress(ctx context.Context, c Caller, id, text string) (Detail, error) {
	text, err := cleanText("text", text, maxReason, true)
	if err != nil {
		return Detail{}, err
	}
	return s.change(ctx, c, id, func(tx *db.Tx, n *notice, now time.Time) (string, []event, error) {
		if n.State == Rejected || n.State == Closed {
			return "", nil, ErrBadState
		}
		return "missing.progress", []event{{NoticeID: id, Center: n.Center, CitizenID: n.CitizenID, Kind: evProgress, At: now, Detail: map[string]any{"text": text}}}, nil
	}, "")
}

// change runs an officer's action on a notice in one transaction with its
// events and audit entry, then wakes the console, the initiator and, for
// alert rings, the alerted users.
func (s *Service) change(ctx context.Context, c Caller, id string, fn func(tx *db.Tx, n *notice, now time.Time) (string, []event, error), reason string) (Detail, error) {
	var n notice
	var evs []event
	now := s.clock()
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		if n, err = s.officerNotice(ctx, tx, c, id, true); err != nil {
			return err
		}
		var action string
		if action, evs, err = fn(tx, &n, now); err != nil {
			return err
		}
		for i := range evs {
			if evs[i].Seq, err = addEvent(ctx, tx, evs[i]); err != nil {
				return err
			}
		}
		return s.auditTx(ctx, tx, c, action, obj(id), citizenSubject(n.CitizenID), reason, map[string]any{"state": string(n.State)})
	})
	if err != nil {
		return Detail{}, err
	}
	s.wake(subjCenter+n.Center, subjCitizen+n.CitizenID)
	for _, e := range evs {
		if e.Kind == evAlert || e.Kind == evClosure {
			s.deliverSoon(ctx, n, e)
		}
	}
	ms, err := listMedia(ctx, s.db, id)
	if err != nil {
		return Detail{}, err
	}
	d := privateDetail(n, ms, true)
	if d.Progress, err = s.progress(ctx, n); err != nil {
		return Detail{}, err
	}
	return d, nil
}
