package guardian

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"time"

	"open110/account"
	"open110/platform/api"
	"open110/platform/apperr"
)

// Register adds the guardian routes to mux.
func (s *Service) Register(mux *http.ServeMux) {
	// Links: invite, answer, list, revoke, defaults; the duress PIN.
	mux.HandleFunc("GET /api/v1/guardians", s.handleLinks)
	mux.HandleFunc("POST /api/v1/guardians", s.handleInvite)
	mux.HandleFunc("POST /api/v1/guardians/{id}/accept", s.handleRespond(true))
	mux.HandleFunc("POST /api/v1/guardians/{id}/decline", s.handleRespond(false))
	mux.HandleFunc("PUT /api/v1/guardians/{id}/default", s.handleDefault)
	mux.HandleFunc("DELETE /api/v1/guardians/{id}", s.handleRevoke)
	mux.HandleFunc("GET /api/v1/guardians/duress-pin", s.handleGetPIN)
	mux.HandleFunc("PUT /api/v1/guardians/duress-pin", s.handleSetPIN)
	mux.HandleFunc("DELETE /api/v1/guardians/duress-pin", s.handleClearPIN)

	// Trips: the traveller starts, uploads, checks in, ends, raises SOS;
	// guardians follow and raise alarms for them.
	mux.HandleFunc("GET /api/v1/trips", s.handleList)
	mux.HandleFunc("POST /api/v1/trips", s.handleStart)
	mux.HandleFunc("GET /api/v1/trips/access-log", s.handleAccessLog)
	mux.HandleFunc("GET /api/v1/trips/{id}", s.handleGet)
	mux.HandleFunc("GET /api/v1/trips/{id}/points", s.handleTrack)
	mux.HandleFunc("POST /api/v1/trips/{id}/points", s.handleAddPoints)
	mux.HandleFunc("POST /api/v1/trips/{id}/media", s.handleAddMedia)
	mux.HandleFunc("GET /api/v1/trips/{id}/media/{media}", s.handleMedia)
	mux.HandleFunc("POST /api/v1/trips/{id}/checkin", s.handleCheckIn)
	mux.HandleFunc("POST /api/v1/trips/{id}/end", s.handleEnd)
	mux.HandleFunc("POST /api/v1/trips/{id}/alarms", s.handleRaise)
	mux.HandleFunc("GET /api/v1/trips/{id}/feed", s.handleFeed)

	// Police: only through a linked alarm, every read audited.
	// (The alarm is a query parameter: a path segment there would collide
	// with /api/v1/trips/{id}/… in the mux.)
	mux.HandleFunc("GET /api/v1/trips/linked", s.handlePoliceRead)
	mux.HandleFunc("GET /api/v1/trips/linked/media/{media}", s.handlePoliceMedia)
}

func (s *Service) handleLinks(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireCitizen(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	ls, err := s.ListLinks(r.Context(), p)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, ls)
}

// InviteBody is POST /api/v1/guardians.
type InviteBody struct {
	Phone   string `json:"phone"`
	Label   string `json:"label,omitempty"`
	Default bool   `json:"default,omitempty"`
}

func (s *Service) handleInvite(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireCitizen(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	var in InviteBody
	if err := api.Decode(w, r, &in, 4<<10); err != nil {
		api.Fail(w, r, err)
		return
	}
	l, err := s.Invite(r.Context(), p, in.Phone, in.Label, in.Default)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusCreated, l)
}

func (s *Service) handleRespond(accept bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := account.RequireCitizen(r)
		if err != nil {
			api.Fail(w, r, err)
			return
		}
		l, err := s.Respond(r.Context(), p, r.PathValue("id"), accept)
		if err != nil {
			api.Fail(w, r, err)
			return
		}
		api.JSON(w, http.StatusOK, l)
	}
}

func (s *Service) handleDefault(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireCitizen(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	if err := s.ownLink(r.Context(), p, r.PathValue("id")); err != nil {
		api.Fail(w, r, err)
		return
	}
	var in struct {
		Default bool `json:"default"`
	}
	if err := api.Decode(w, r, &in, 1<<10); err != nil {
		api.Fail(w, r, err)
		return
	}
	l, err := s.SetDefault(r.Context(), p, r.PathValue("id"), in.Default)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, l)
}

func (s *Service) handleRevoke(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireCitizen(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	if err := s.Revoke(r.Context(), p, r.PathValue("id")); err != nil {
		api.Fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Service) handleGetPIN(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireCitizen(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	ok, err := s.HasDuressPIN(r.Context(), p)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, map[string]bool{"set": ok})
}

func (s *Service) handleSetPIN(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireCitizen(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	var in struct {
		PIN string `json:"pin"`
	}
	if err := api.Decode(w, r, &in, 1<<10); err != nil {
		api.Fail(w, r, err)
		return
	}
	if err := s.SetDuressPIN(r.Context(), p, in.PIN); err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, map[string]bool{"set": true})
}

func (s *Service) handleClearPIN(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireCitizen(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	if err := s.ClearDuressPIN(r.Context(), p); err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, map[string]bool{"set": false})
}

func (s *Service) handleList(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireCitizen(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	mine, guarding, err := s.List(r.Context(), p)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, map[string]any{"trips": mine, "guarding": guarding})
}

func (s *Service) handleStart(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireCitizen(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	var in StartRequest
	if err := api.Decode(w, r, &in, 8<<10); err != nil {
		api.Fail(w, r, err)
		return
	}
	t, err := s.Start(r.Context(), p, in)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/trips/"+t.ID)
	api.JSON(w, http.StatusCreated, t)
}

func (s *Service) handleGet(w http.ResponseWriter, r *http.Request) {
	p, err := account.Require(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	t, err := s.Get(r.Context(), p, r.PathValue("id"))
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, t)
}

func (s *Service) handleTrack(w http.ResponseWriter, r *http.Request) {
	p, err := account.Require(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	pts, err := s.Track(r.Context(), p, r.PathValue("id"))
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, map[string]any{"points": pts})
}

// PointsBody is POST /api/v1/trips/{id}/points.
type PointsBody struct {
	Points []Point `json:"points"`
}

func (s *Service) handleAddPoints(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireCitizen(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	if err := s.mayTrip(r.Context(), p, r.PathValue("id"), true); err != nil {
		api.Fail(w, r, err)
		return
	}
	var in PointsBody
	if err := api.Decode(w, r, &in, 256<<10); err != nil {
		api.Fail(w, r, err)
		return
	}
	res, err := s.AddPoints(r.Context(), p, r.PathValue("id"), in.Points)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, res)
}

// handleAddMedia takes the raw bytes of one capture:
// POST /api/v1/trips/{id}/media?kind=photo&client_id=…&captured_at=RFC3339[&lat=&lng=].
func (s *Service) handleAddMedia(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireCitizen(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	if err := s.mayTrip(r.Context(), p, r.PathValue("id"), true); err != nil {
		api.Fail(w, r, err)
		return
	}
	q := r.URL.Query()
	up := MediaUpload{Kind: q.Get("kind"), ClientID: q.Get("client_id")}
	if c := q.Get("captured_at"); c != "" {
		if up.CapturedAt, err = time.Parse(time.RFC3339Nano, c); err != nil {
			api.Fail(w, r, apperr.Invalidf("invalid_captured_at", "captured_at must be RFC 3339"))
			return
		}
	}
	if q.Has("lat") || q.Has("lng") {
		lat, e1 := strconv.ParseFloat(q.Get("lat"), 64)
		lng, e2 := strconv.ParseFloat(q.Get("lng"), 64)
		if e1 != nil || e2 != nil {
			api.Fail(w, r, apperr.Invalidf("invalid_location", "lat and lng must be numbers"))
			return
		}
		up.Location = &Position{Lat: lat, Lng: lng}
	}
	m, err := s.AddMedia(r.Context(), p, r.PathValue("id"), up, r.Body)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusCreated, m)
}

// mayTrip answers, before the request's body is read, whether p may act
// on trip id: as its traveller (traveller true), or as its traveller or
// one of its guardians. Everyone else gets trip_not_found, as from the
// service, which checks again as it acts.
func (s *Service) mayTrip(ctx context.Context, p account.Principal, id string, traveller bool) error {
	_, role, err := s.access(ctx, s.db, p, id)
	if err != nil {
		return err
	}
	if traveller && role != RoleTraveller {
		return ErrTripNotFound
	}
	return nil
}

func serveMedia(w http.ResponseWriter, m Media, rc io.ReadCloser) {
	defer rc.Close()
	w.Header().Set("Content-Type", m.MIME)
	w.Header().Set("Content-Length", strconv.FormatInt(m.Size, 10))
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Digest", "sha-256="+m.SHA256)
	w.WriteHeader(http.StatusOK)
	_, _ = io.Copy(w, rc)
}

func (s *Service) handleMedia(w http.ResponseWriter, r *http.Request) {
	p, err := account.Require(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	m, rc, err := s.OpenMedia(r.Context(), p, r.PathValue("id"), r.PathValue("media"))
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	serveMedia(w, m, rc)
}

func (s *Service) handleCheckIn(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireCitizen(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	if err := s.mayTrip(r.Context(), p, r.PathValue("id"), true); err != nil {
		api.Fail(w, r, err)
		return
	}
	var in struct {
		ExpectedAt *time.Time `json:"expected_at,omitempty"`
	}
	if err := api.Decode(w, r, &in, 1<<10); err != nil {
		api.Fail(w, r, err)
		return
	}
	t, err := s.CheckIn(r.Context(), p, r.PathValue("id"), in.ExpectedAt)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, t)
}

// EndBody is POST /api/v1/trips/{id}/end.
type EndBody struct {
	PIN string `json:"pin,omitempty"`
}

func (s *Service) handleEnd(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireCitizen(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	if err := s.mayTrip(r.Context(), p, r.PathValue("id"), true); err != nil {
		api.Fail(w, r, err)
		return
	}
	var in EndBody
	if err := api.Decode(w, r, &in, 1<<10); err != nil {
		api.Fail(w, r, err)
		return
	}
	t, err := s.End(r.Context(), p, r.PathValue("id"), in.PIN)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, t)
}

func (s *Service) handleRaise(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireCitizen(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	if err := s.mayTrip(r.Context(), p, r.PathValue("id"), false); err != nil {
		api.Fail(w, r, err)
		return
	}
	var in RaiseRequest
	if err := api.Decode(w, r, &in, 1<<10); err != nil {
		api.Fail(w, r, err)
		return
	}
	in.RequestIP = api.ClientIP(r)
	res, err := s.RaiseAlarm(r.Context(), p, r.PathValue("id"), in)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusCreated, res)
}

func (s *Service) handleAccessLog(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireCitizen(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	es, err := s.AccessLog(r.Context(), p)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, map[string]any{"accesses": es})
}

func (s *Service) handlePoliceRead(w http.ResponseWriter, r *http.Request) {
	p, err := account.Require(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	v, err := s.PoliceRead(r.Context(), p, r.URL.Query().Get("alarm_id"), api.ClientIP(r))
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, v)
}

func (s *Service) handlePoliceMedia(w http.ResponseWriter, r *http.Request) {
	p, err := account.Require(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	m, rc, err := s.PoliceMedia(r.Context(), p, r.URL.Query().Get("alarm_id"), r.PathValue("media"), api.ClientIP(r))
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	serveMedia(w, m, rc)
}
