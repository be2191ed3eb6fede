package missing

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"open110/account"
	"open110/geo"
	"open110/platform/apperr"
	"open110/platform/db"
)

// FeedQuery selects the public feed. Zero values mean "no filter".
type FeedQuery struct {
	State    State     // Published (default) or Closed (closure notices)
	City     string    // a city code: notices last seen in that city
	Near     *Position // with WithinKm: notices last seen within WithinKm of Near
	WithinKm float64
	Before   string // cursor from the previous page
	Limit    int    // default 20, at most 50
}

// FeedPage is one page of the feed, newest first; Next is the cursor of
// the following page ("" at the end).
type FeedPage struct {
	Items []Detail `json:"items"`
	Next  string   `json:"next,omitempty"`
}

// parseCursor reads "<published_at µs>.<id>".
func parseCursor(c string) (int64, string, error) {
	if c == "" {
		return 0, "", nil
	}
	us, id, ok := strings.Cut(c, ".")
	v, err := strconv.ParseInt(us, 10, 64)
	if !ok || err != nil || v <= 0 || id == "" || len(id) > 64 {
		return 0, "", ErrInvalidCursor
	}
	return v, id, nil
}

// Feed lists published notices (or closure notices) for everyone, newest
// first, by city and/or distance from a point. Errors: invalid_cursor,
// invalid_position, invalid_radius, invalid_city.
func (s *Service) Feed(ctx context.Context, q FeedQuery) (FeedPage, error) {
	if q.State == "" {
		q.State = Published
	}
	if q.State != Published && q.State != Closed {
		return FeedPage{}, apperr.New(apperr.Invalid, "invalid_state_filter", "state must be published or closed")
	}
	if q.Limit <= 0 || q.Limit > 50 {
		q.Limit = 20
	}
	beforeUs, beforeID, err := parseCursor(q.Before)
	if err != nil {
		return FeedPage{}, err
	}
	where := "WHERE state = $1 AND published_at > 0"
	args := []any{string(q.State)}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if q.City != "" {
		if u, ok := unitOK(q.City); !ok || u != "city" {
			return FeedPage{}, apperr.New(apperr.Invalid, "invalid_city", "city must be the code of a Hebei city, e.g. 130100")
		}
		where += " AND city_code = " + arg(q.City)
	}
	if q.Near != nil {
		if err := validPosition("near", q.Near); err != nil {
			return FeedPage{}, err
		}
		if !(q.WithinKm > 0 && q.WithinKm <= 2000) {
			return FeedPage{}, apperr.New(apperr.Invalid, "invalid_radius", "within_km must be between 0 and 2000")
		}
		// A bounding box in SQL, the exact distance below.
		dLat := q.WithinKm / 111.2
		dLng := q.WithinKm / (111.2 * math.Max(0.01, math.Cos(q.Near.Lat*math.Pi/180)))
		where += " AND lat BETWEEN " + arg(q.Near.Lat-dLat) + " AND " + arg(q.Near.Lat+dLat) +
			" AND lng BETWEEN " + arg(q.Near.Lng-dLng) + " AND " + arg(q.Near.Lng+dLng)
	}
	var page FeedPage
	page.Items = []Detail{}
	batch := q.Limit + 1
	// On PostgreSQL small circles read their latitude band first; large
	// ones match most notices, so walking newest first stops early. SQLite's
	// planner does well with the plain query (bench/RESULTS.md).
	band := q.Near != nil && q.WithinKm <= 200 && s.db.Dialect == db.Postgres
	if q.Near != nil {
		batch = 2*q.Limit + 1 // the box's corners lie outside the circle
	}
	for {
		w := where
		a := args
		if beforeUs > 0 {
			n := len(a)
			w += fmt.Sprintf(" AND (published_at < $%d OR (published_at = $%d AND id < $%d))", n+1, n+1, n+2)
			a = append(a[:n:n], beforeUs, beforeID)
		}
		order := fmt.Sprintf(" ORDER BY published_at DESC, id DESC LIMIT %d", batch)
		var ns []notice
		var err error
		if band {
			// The latitude band first (index missing_notices_geo), then
			// newest first: OFFSET 0 keeps the planner from flattening
			// the subquery into a walk of the newest-first index that
			// filters by position (slow where notices are sparse).
			ns, err = queryNoticesFrom(ctx, s.db, "(SELECT * FROM missing_notices "+w+" OFFSET 0) AS n", order, a...)
		} else {
			ns, err = queryNotices(ctx, s.db, w+order, a...)
		}
		if err != nil {
			return FeedPage{}, err
		}
		for _, n := range ns {
			beforeUs, beforeID = db.Micros(n.PublishedAt), n.ID
			var dist *float64
			if q.Near != nil {
				d := DistanceKm(q.Near.Lat, q.Near.Lng, n.Lat, n.Lng)
				if d > q.WithinKm {
					continue
				}
				d = math.Round(d*10) / 10
				dist = &d
			}
			if len(page.Items) == q.Limit {
				// One more exists: the cursor is the last item shown.
				last := page.Items[len(page.Items)-1]
				page.Next = strconv.FormatInt(db.Micros(*last.PublishedAt), 10) + "." + last.ID
				return page, nil
			}
			d := publicDetail(n, nil)
			d.DistanceKm = dist
			page.Items = append(page.Items, d)
		}
		if len(ns) < batch {
			return page, nil
		}
	}
}

func unitOK(code string) (string, bool) {
	if len(code) != 6 || !allDigits(code) {
		return "", false
	}
	u, ok := geo.UnitByCode(code)
	return string(u.Level), ok
}

// Public returns a published notice (or its closure notice) for everyone.
// A notice never published is notice_not_found.
func (s *Service) Public(ctx context.Context, id string) (Detail, error) {
	n, err := getNotice(ctx, s.db, id)
	if err != nil {
		return Detail{}, err
	}
	if n.PublishedAt.IsZero() {
		return Detail{}, ErrNotFound
	}
	var ms []media
	if n.State == Published {
		if ms, err = listMedia(ctx, s.db, id); err != nil {
			return Detail{}, err
		}
	}
	return publicDetail(n, ms), nil
}

// OpenMedia opens a notice's photo or video. Public (c nil): only while the
// notice is published. Otherwise the initiator or an officer of the
// centre; an officer's read is audited. The caller closes the reader.
// Errors: notice_not_found, media_not_found.
func (s *Service) OpenMedia(ctx context.Context, c *Caller, id, sha string) (io.ReadCloser, MediaView, error) {
	var n notice
	var err error
	switch {
	case c == nil:
		if n, err = getNotice(ctx, s.db, id); err == nil && n.State != Published {
			err = ErrNotFound
		}
	case c.IsOfficer():
		n, err = s.officerNotice(ctx, s.db, *c, id, false)
	default:
		n, err = s.ownNotice(ctx, s.db, *c, id)
	}
	if err != nil {
		return nil, MediaView{}, err
	}
	ms, err := listMedia(ctx, s.db, id)
	if err != nil {
		return nil, MediaView{}, err
	}
	for _, m := range ms {
		if m.SHA256 != sha {
			continue
		}
		if c != nil && c.IsOfficer() {
			err := s.db.InTx(ctx, func(tx *db.Tx) error {
				return s.auditTx(ctx, tx, *c, "missing.media.view", obj(id), citizenSubject(n.CitizenID), "", map[string]any{"sha256": sha})
			})
			if err != nil {
				return nil, MediaView{}, err
			}
		}
		rc, _, err := s.blob.Get(ctx, sha)
		if err != nil {
			return nil, MediaView{}, fmt.Errorf("missing: open media %s: %w", sha, err)
		}
		return rc, mediaView(m, ""), nil
	}
	return nil, MediaView{}, ErrMediaNotFound
}

// SightingInput is a sighting from the public.
type SightingInput struct {
	Text      string    `json:"text"`
	SeenAt    string    `json:"seen_at"`   // optional RFC 3339
	Position  *Position `json:"position"`  // optional: where the person was seen
	Anonymous bool      `json:"anonymous"` // hide the sender's phone from officers
}

// SightingReceipt is what the sender gets back.
type SightingReceipt struct {
	ID        string `json:"id"`
	NoticeID  string `json:"notice_id"`
	Anonymous bool   `json:"anonymous"`
	CreatedAt string `json:"created_at"`
}

// maySight answers, before the request's body is read, whether c may send
// a sighting for notice id: forbidden for officers, notice_not_found for a
// notice never published. AddSighting checks again as it acts.
func (s *Service) maySight(ctx context.Context, c Caller, id string) error {
	if c.IsOfficer() {
		return apperr.ErrForbidden.Msg("sightings come from the public")
	}
	n, err := getNotice(ctx, s.db, id)
	if err != nil {
		return err
	}
	if n.PublishedAt.IsZero() {
		return ErrNotFound
	}
	return nil
}

// AddSighting takes a sighting for a published notice from a citizen or,
// signed out, anonymously, with an optional photo (photo nil: none), and
// wakes the handling centre. Errors: notice_not_found, invalid_state
// (closed), missing_field, invalid_time, invalid_position,
// unsupported_media, media_too_large, rate_limited, forbidden (officers).
func (s *Service) AddSighting(ctx context.Context, c Caller, id string, in SightingInput, photo io.Reader) (SightingReceipt, error) {
	if c.IsOfficer() {
		return SightingReceipt{}, apperr.ErrForbidden.Msg("sightings come from the public")
	}
	key := "ip:" + c.IP
	if c.IsCitizen() {
		key = "c:" + c.ID
	}
	if err := s.sightLim.Allow(key); err != nil {
		return SightingReceipt{}, err
	}
	n, err := getNotice(ctx, s.db, id)
	if err != nil {
		return SightingReceipt{}, err
	}
	if n.PublishedAt.IsZero() {
		return SightingReceipt{}, ErrNotFound
	}
	if n.State != Published {
		return SightingReceipt{}, ErrBadState.Msg("this notice is closed")
	}
	now := s.clock()
	sg := sighting{ID: account.NewID("sg"), NoticeID: id, Center: n.Center, Status: SightingNew, CreatedAt: now, Anonymous: in.Anonymous || !c.IsCitizen()}
	if sg.Body, err = cleanText("text", in.Text, maxSighting, true); err != nil {
		return SightingReceipt{}, err
	}
	if strings.TrimSpace(in.SeenAt) != "" {
		if sg.SeenAt, err = parseTime("seen_at", in.SeenAt); err != nil {
			return SightingReceipt{}, err
		}
		if sg.SeenAt.After(now.Add(clockSkew)) {
			return SightingReceipt{}, apperr.New(apperr.Invalid, "seen_in_future", "seen_at lies in the future").With("field", "seen_at")
		}
	}
	if in.Position != nil {
		if err := validPosition("position", in.Position); err != nil {
			return SightingReceipt{}, err
		}
		sg.HasPosition, sg.Lat, sg.Lng, sg.Acc = true, in.Position.Lat, in.Position.Lng, in.Position.AccuracyM
	}
	if c.IsCitizen() {
		sg.CitizenID, sg.Phone = c.ID, c.Phone
	}
	if photo != nil {
		_, ctype, o, err := s.putMedia(ctx, photo, false)
		if err != nil {
			return SightingReceipt{}, err
		}
		sg.PhotoSHA, sg.PhotoType = o.SHA256, ctype
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO missing_sightings (`+sightingCols+`, request_ip) VALUES (`+db.Placeholders(1, 20)+`)`,
			sg.ID, sg.NoticeID, sg.Center, sg.CitizenID, sg.Phone, db.Bool(sg.Anonymous), sg.Body, db.Micros(sg.SeenAt), db.Bool(sg.HasPosition),
			sg.Lat, sg.Lng, sg.Acc, sg.PhotoSHA, sg.PhotoType, string(sg.Status), "", "", 0, db.Micros(now), c.IP)
		if err != nil {
			return fmt.Errorf("missing: add sighting: %w", err)
		}
		res, err := tx.Exec(ctx, "UPDATE missing_notices SET sightings = sightings + 1 WHERE id = $1 AND state = $2", id, string(Published))
		if err != nil {
			return fmt.Errorf("missing: count sighting: %w", err)
		}
		if k, _ := res.RowsAffected(); k != 1 {
			return ErrBadState.Msg("this notice is closed")
		}
		if _, err := addEvent(ctx, tx, event{NoticeID: id, Center: n.Center, Kind: evSighting, At: now, Detail: map[string]any{"sighting_id": sg.ID}}); err != nil {
			return err
		}
		return s.auditTx(ctx, tx, c, "missing.sighting.add", "missing_sighting:"+sg.ID, citizenSubject(sg.CitizenID), "",
			map[string]any{"notice": id, "anonymous": sg.Anonymous, "photo": sg.PhotoSHA})
	})
	if err != nil {
		return SightingReceipt{}, err
	}
	s.wake(subjCenter + n.Center)
	return SightingReceipt{ID: sg.ID, NoticeID: id, Anonymous: sg.Anonymous, CreatedAt: now.Format("2006-01-02T15:04:05.999999Z07:00")}, nil
}

// Sightings lists a notice's sightings for officers of its centre (newest
// first); the read is audited (it shows senders' phones).
func (s *Service) Sightings(ctx context.Context, c Caller, id string) ([]SightingView, error) {
	n, err := s.officerNotice(ctx, s.db, c, id, false)
	if err != nil {
		return nil, err
	}
	ss, err := listSightings(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		return s.auditTx(ctx, tx, c, "missing.sightings.view", obj(id), citizenSubject(n.CitizenID), "", map[string]any{"count": len(ss)})
	})
	if err != nil {
		return nil, err
	}
	out := make([]SightingView, 0, len(ss))
	for _, sg := range ss {
		out = append(out, sightingView(sg))
	}
	return out, nil
}

// mayTriage answers, before the request's body is read, whether c may
// triage sighting sid: sighting_not_found unless c is an officer who sees
// its notice, forbidden for one who may only read it. Triage checks again
// as it acts.
func (s *Service) mayTriage(ctx context.Context, c Caller, sid string) error {
	if !c.SignedIn() {
		return apperr.ErrUnauthorized
	}
	sg, err := getSighting(ctx, s.db, sid)
	if err != nil {
		return err
	}
	if _, err := s.officerNotice(ctx, s.db, c, sg.NoticeID, true); err != nil {
		if apperr.CodeOf(err) == ErrNotFound.Code {
			return ErrSightingNotFound
		}
		return err
	}
	return nil
}

// Triage records an officer's assessment of a sighting. Errors:
// sighting_not_found, invalid_status, forbidden.
func (s *Service) Triage(ctx context.Context, c Caller, sid string, status SightingStatus, note string) (SightingView, error) {
	if !sightingStatuses[status] || status == SightingNew {
		return SightingView{}, apperr.New(apperr.Invalid, "invalid_status", "status must be relevant, followed_up, not_relevant or duplicate").With("field", "status")
	}
	note, err := cleanText("note", note, maxReason, false)
	if err != nil {
		return SightingView{}, err
	}
	sg, err := getSighting(ctx, s.db, sid)
	if err != nil {
		return SightingView{}, err
	}
	now := s.clock()
	var n notice
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if n, err = s.officerNotice(ctx, tx, c, sg.NoticeID, true); err != nil {
			if apperr.CodeOf(err) == ErrNotFound.Code {
				return ErrSightingNotFound
			}
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE missing_sightings SET status = $1, triage_note = $2, triaged_by = $3, triaged_at = $4 WHERE id = $5",
			string(status), note, c.Username, db.Micros(now), sid); err != nil {
			return fmt.Errorf("missing: triage: %w", err)
		}
		if _, err := addEvent(ctx, tx, event{NoticeID: n.ID, Center: n.Center, Kind: evTriage, At: now, Detail: map[string]any{"sighting_id": sid, "status": string(status)}}); err != nil {
			return err
		}
		return s.auditTx(ctx, tx, c, "missing.sighting.triage", "missing_sighting:"+sid, citizenSubject(sg.CitizenID), note, map[string]any{"status": string(status)})
	})
	if err != nil {
		return SightingView{}, err
	}
	s.wake(subjCenter + n.Center)
	sg.Status, sg.TriageNote, sg.TriagedBy, sg.TriagedAt = status, note, c.Username, now
	return sightingView(sg), nil
}

// OpenSightingPhoto opens a sighting's photo for officers of the centre
// (audited). Errors: sighting_not_found, media_not_found.
func (s *Service) OpenSightingPhoto(ctx context.Context, c Caller, sid string) (io.ReadCloser, string, error) {
	sg, err := getSighting(ctx, s.db, sid)
	if err != nil {
		return nil, "", err
	}
	n, err := s.officerNotice(ctx, s.db, c, sg.NoticeID, false)
	if err != nil {
		if apperr.CodeOf(err) == ErrNotFound.Code {
			return nil, "", ErrSightingNotFound
		}
		return nil, "", err
	}
	if sg.PhotoSHA == "" {
		return nil, "", ErrMediaNotFound
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		return s.auditTx(ctx, tx, c, "missing.sighting.photo.view", "missing_sighting:"+sid, citizenSubject(sg.CitizenID), "", map[string]any{"notice": n.ID})
	})
	if err != nil {
		return nil, "", err
	}
	rc, _, err := s.blob.Get(ctx, sg.PhotoSHA)
	if err != nil {
		return nil, "", fmt.Errorf("missing: open sighting photo: %w", err)
	}
	return rc, sg.PhotoType, nil
}
