package missing

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"open110/account"
	"open110/geo"
	"open110/platform/api"
	"open110/platform/apperr"
)

// Register adds the feature's routes. Public reads (the feed, a published
// notice, its media) and sending a sighting work signed out; everything
// else needs a session, and authorisation is decided in the service.
func (s *Service) Register(mux *http.ServeMux) {
	// The family.
	mux.HandleFunc("POST /api/v1/missing/notices", s.handleSubmit)
	mux.HandleFunc("GET /api/v1/missing/notices", s.handleList)
	mux.HandleFunc("GET /api/v1/missing/notices/{id}", s.handleGet)
	mux.HandleFunc("POST /api/v1/missing/notices/{id}/media", s.handleAddMedia)
	mux.HandleFunc("GET /api/v1/missing/notices/{id}/media/{sha}", s.handleMedia)
	mux.HandleFunc("POST /api/v1/missing/notices/{id}/withdraw", s.handleWithdraw)
	// The command centre.
	mux.HandleFunc("POST /api/v1/missing/notices/{id}/verify", s.handleVerify)
	mux.HandleFunc("POST /api/v1/missing/notices/{id}/publish", s.handlePublish)
	mux.HandleFunc("POST /api/v1/missing/notices/{id}/reject", s.handleReject)
	mux.HandleFunc("POST /api/v1/missing/notices/{id}/close", s.handleClose)
	mux.HandleFunc("POST /api/v1/missing/notices/{id}/progress", s.handleProgress)
	mux.HandleFunc("GET /api/v1/missing/notices/{id}/sightings", s.handleSightings)
	mux.HandleFunc("POST /api/v1/missing/sightings/{sid}/triage", s.handleTriage)
	mux.HandleFunc("GET /api/v1/missing/sightings/{sid}/photo", s.handleSightingPhoto)
	// Everyone.
	mux.HandleFunc("GET /api/v1/missing/public", s.handleFeed)
	mux.HandleFunc("GET /api/v1/missing/public/{id}", s.handlePublic)
	mux.HandleFunc("GET /api/v1/missing/public/{id}/media/{sha}", s.handlePublicMedia)
	mux.HandleFunc("POST /api/v1/missing/public/{id}/sightings", s.handleSighting)
	// Area alerts.
	mux.HandleFunc("GET /api/v1/missing/alerts", s.handleArea)
	mux.HandleFunc("PUT /api/v1/missing/alerts", s.handleSetArea)
	mux.HandleFunc("DELETE /api/v1/missing/alerts", s.handleDisableArea)
	mux.HandleFunc("GET /api/v1/missing/inbox", s.handleInbox)
	mux.HandleFunc("POST /api/v1/missing/inbox/read", s.handleRead)
	// Live wake-ups (WebSocket).
	mux.HandleFunc("GET /api/v1/missing/live", s.handleLive)
}

func caller(r *http.Request) Caller {
	return Caller{Principal: account.FromContext(r.Context()), IP: api.ClientIP(r)}
}

// signedIn is caller for endpoints that need a session.
func signedIn(w http.ResponseWriter, r *http.Request) (Caller, bool) {
	c := caller(r)
	if !c.SignedIn() {
		api.Fail(w, r, apperr.ErrUnauthorized)
		return c, false
	}
	return c, true
}

// signedInCitizen is signedIn for the endpoints only citizens use: officers are
// refused before their body is read (the service refuses them too).
// officerWork answers for an officer's action on the notice in the path:
// the caller, once they are signed in and the notice is theirs to work on,
// with the body decoded into in (in that order: a caller who may not act
// learns nothing from the body rules). false: the answer is written.
func (s *Service) officerWork(w http.ResponseWriter, r *http.Request, in any) (Caller, bool) {
	c, ok := signedIn(w, r)
	if !ok {
		return c, false
	}
	if _, err := s.officerNotice(r.Context(), s.db, c, r.PathValue("id"), true); err != nil {
		api.Fail(w, r, err)
		return c, false
	}
	if err := api.Decode(w, r, in, 16<<10); err != nil {
		api.Fail(w, r, err)
		return c, false
	}
	return c, true
}

func signedInCitizen(w http.ResponseWriter, r *http.Request) (Caller, bool) {
	c, ok := signedIn(w, r)
	if ok && !c.IsCitizen() {
		api.Fail(w, r, apperr.ErrForbidden.Msg("this is for citizens, from the citizen app"))
		return c, false
	}
	return c, ok
}

func respond[T any](w http.ResponseWriter, r *http.Request, status int, v T, err error) {
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, status, v)
}

func (s *Service) handleSubmit(w http.ResponseWriter, r *http.Request) {
	c, ok := signedInCitizen(w, r)
	if !ok {
		return
	}
	var in Submission
	if err := api.Decode(w, r, &in, 64<<10); err != nil {
		api.Fail(w, r, err)
		return
	}
	d, err := s.Submit(r.Context(), c, in)
	respond(w, r, http.StatusCreated, d, err)
}

func (s *Service) handleList(w http.ResponseWriter, r *http.Request) {
	c, ok := signedIn(w, r)
	if !ok {
		return
	}
	states, err := ParseStates(r.URL.Query().Get("state"))
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	list, err := s.List(r.Context(), c, states, 0)
	respond(w, r, http.StatusOK, map[string]any{"notices": list}, err)
}

func (s *Service) handleGet(w http.ResponseWriter, r *http.Request) {
	c, ok := signedIn(w, r)
	if !ok {
		return
	}
	d, err := s.Get(r.Context(), c, r.PathValue("id"))
	respond(w, r, http.StatusOK, d, err)
}

func (s *Service) handleAddMedia(w http.ResponseWriter, r *http.Request) {
	c, ok := signedIn(w, r)
	if !ok {
		return
	}
	// The body is the file itself; its type is sniffed, not taken from the header.
	r.Body = http.MaxBytesReader(w, r.Body, MaxVideoBytes+1)
	m, err := s.AddMedia(r.Context(), c, r.PathValue("id"), r.Body)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		err = ErrMediaTooLarge.Msg("the file is larger than %d MiB", MaxVideoBytes>>20)
	}
	respond(w, r, http.StatusCreated, m, err)
}

func serveMedia(w http.ResponseWriter, r *http.Request, rc io.ReadCloser, ctype, sha string) {
	defer rc.Close()
	w.Header().Set("Content-Type", ctype)
	if sha != "" {
		w.Header().Set("ETag", `"`+sha+`"`)
		if r.Header.Get("If-None-Match") == `"`+sha+`"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	w.Header().Set("Content-Disposition", "inline")
	_, _ = io.Copy(w, rc) // the client may go away; a corrupt blob ends the body early
}

func (s *Service) handleMedia(w http.ResponseWriter, r *http.Request) {
	c, ok := signedIn(w, r)
	if !ok {
		return
	}
	rc, m, err := s.OpenMedia(r.Context(), &c, r.PathValue("id"), r.PathValue("sha"))
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "private, no-store")
	serveMedia(w, r, rc, m.ContentType, m.SHA256)
}

func (s *Service) handlePublicMedia(w http.ResponseWriter, r *http.Request) {
	rc, m, err := s.OpenMedia(r.Context(), nil, r.PathValue("id"), r.PathValue("sha"))
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	// Short: a closed notice's media must stop being served soon.
	w.Header().Set("Cache-Control", "public, max-age=300")
	serveMedia(w, r, rc, m.ContentType, m.SHA256)
}

func (s *Service) handleWithdraw(w http.ResponseWriter, r *http.Request) {
	c, ok := signedIn(w, r)
	if !ok {
		return
	}
	d, err := s.Withdraw(r.Context(), c, r.PathValue("id"))
	respond(w, r, http.StatusOK, d, err)
}

// decodeOptional decodes a JSON body that may be absent.
func decodeOptional(w http.ResponseWriter, r *http.Request, v any) error {
	if r.ContentLength == 0 {
		return nil
	}
	return api.Decode(w, r, v, 16<<10)
}

func (s *Service) handleVerify(w http.ResponseWriter, r *http.Request) {
	c, ok := signedIn(w, r)
	if !ok {
		return
	}
	if _, err := s.officerNotice(r.Context(), s.db, c, r.PathValue("id"), true); err != nil {
		api.Fail(w, r, err)
		return
	}
	var in struct {
		Note string `json:"note"`
	}
	if err := decodeOptional(w, r, &in); err != nil {
		api.Fail(w, r, err)
		return
	}
	d, err := s.StartVerify(r.Context(), c, r.PathValue("id"), in.Note)
	respond(w, r, http.StatusOK, d, err)
}

func (s *Service) handlePublish(w http.ResponseWriter, r *http.Request) {
	var in PublishInput
	c, ok := s.officerWork(w, r, &in)
	if !ok {
		return
	}
	d, err := s.Publish(r.Context(), c, r.PathValue("id"), in)
	respond(w, r, http.StatusOK, d, err)
}

func (s *Service) handleReject(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Reason string  `json:"reason"`
		Checks *Checks `json:"checks"`
	}
	c, ok := s.officerWork(w, r, &in)
	if !ok {
		return
	}
	d, err := s.Reject(r.Context(), c, r.PathValue("id"), in.Reason, in.Checks)
	respond(w, r, http.StatusOK, d, err)
}

func (s *Service) handleClose(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Outcome Outcome `json:"outcome"`
		Notice  string  `json:"notice"`
	}
	c, ok := s.officerWork(w, r, &in)
	if !ok {
		return
	}
	d, err := s.Close(r.Context(), c, r.PathValue("id"), in.Outcome, in.Notice)
	respond(w, r, http.StatusOK, d, err)
}

func (s *Service) handleProgress(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Text string `json:"text"`
	}
	c, ok := s.officerWork(w, r, &in)
	if !ok {
		return
	}
	d, err := s.AddProgress(r.Context(), c, r.PathValue("id"), in.Text)
	respond(w, r, http.StatusOK, d, err)
}

func (s *Service) handleSightings(w http.ResponseWriter, r *http.Request) {
	c, ok := signedIn(w, r)
	if !ok {
		return
	}
	list, err := s.Sightings(r.Context(), c, r.PathValue("id"))
	respond(w, r, http.StatusOK, map[string]any{"sightings": list}, err)
}

func (s *Service) handleTriage(w http.ResponseWriter, r *http.Request) {
	c, ok := signedIn(w, r)
	if !ok {
		return
	}
	if err := s.mayTriage(r.Context(), c, r.PathValue("sid")); err != nil {
		api.Fail(w, r, err)
		return
	}
	var in struct {
		Status SightingStatus `json:"status"`
		Note   string         `json:"note"`
	}
	if err := api.Decode(w, r, &in, 16<<10); err != nil {
		api.Fail(w, r, err)
		return
	}
	v, err := s.Triage(r.Context(), c, r.PathValue("sid"), in.Status, in.Note)
	respond(w, r, http.StatusOK, v, err)
}

func (s *Service) handleSightingPhoto(w http.ResponseWriter, r *http.Request) {
	c, ok := signedIn(w, r)
	if !ok {
		return
	}
	rc, ctype, err := s.OpenSightingPhoto(r.Context(), c, r.PathValue("sid"))
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "private, no-store")
	serveMedia(w, r, rc, ctype, "")
}

// ParseFeedQuery reads the feed's query string: state, city, lat, lng,
// within_km, before, limit. Errors: invalid_position, invalid_query.
func ParseFeedQuery(get func(string) string) (FeedQuery, error) {
	q := FeedQuery{State: State(get("state")), City: get("city"), Before: get("before")}
	if l := get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 50 {
			return q, apperr.New(apperr.Invalid, "invalid_query", "limit must be 1–50")
		}
		q.Limit = n
	}
	if get("lat") != "" || get("lng") != "" || get("within_km") != "" {
		lat, lng, _, err := geo.ParseQuery(get("lat"), get("lng"), "")
		if err != nil {
			return q, err
		}
		km, err := strconv.ParseFloat(get("within_km"), 64)
		if err != nil {
			return q, apperr.New(apperr.Invalid, "invalid_radius", "within_km must be a number of kilometres (with lat and lng)")
		}
		q.Near, q.WithinKm = &Position{Lat: lat, Lng: lng}, km
	}
	return q, nil
}

func (s *Service) handleFeed(w http.ResponseWriter, r *http.Request) {
	q, err := ParseFeedQuery(r.URL.Query().Get)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	page, err := s.Feed(r.Context(), q)
	respond(w, r, http.StatusOK, page, err)
}

func (s *Service) handlePublic(w http.ResponseWriter, r *http.Request) {
	d, err := s.Public(r.Context(), r.PathValue("id"))
	respond(w, r, http.StatusOK, d, err)
}

// handleSighting takes a sighting as JSON, or as multipart/form-data with a
// "sighting" part (the JSON) first and an optional "photo" part (streamed
// to the evidence store; its type is sniffed).
func (s *Service) handleSighting(w http.ResponseWriter, r *http.Request) {
	c := caller(r)
	id := r.PathValue("id")
	if err := s.maySight(r.Context(), c, id); err != nil {
		api.Fail(w, r, err)
		return
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		var in SightingInput
		if err := api.Decode(w, r, &in, 16<<10); err != nil {
			api.Fail(w, r, err)
			return
		}
		rc, err := s.AddSighting(r.Context(), c, id, in, nil)
		respond(w, r, http.StatusCreated, rc, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxPhotoBytes+64<<10)
	mr, err := r.MultipartReader()
	if err != nil {
		api.Fail(w, r, apperr.ErrInvalidInput.Msg("malformed multipart body"))
		return
	}
	part, err := mr.NextPart()
	if err != nil || part.FormName() != "sighting" {
		api.Fail(w, r, apperr.New(apperr.Invalid, "missing_field", "the first part must be \"sighting\" (JSON)").With("field", "sighting"))
		return
	}
	var in SightingInput
	if err := api.DecodeBytesReader(io.LimitReader(part, 16<<10), &in); err != nil {
		api.Fail(w, r, err)
		return
	}
	var photo io.Reader
	if p, err := mr.NextPart(); err == nil {
		if p.FormName() != "photo" {
			api.Fail(w, r, apperr.New(apperr.Invalid, "unknown_field", "unknown part "+strings.TrimSpace(p.FormName())))
			return
		}
		photo = p
	}
	rc, err := s.AddSighting(r.Context(), c, id, in, photo)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		err = ErrMediaTooLarge.Msg("the photo is larger than %d MiB", MaxPhotoBytes>>20)
	}
	respond(w, r, http.StatusCreated, rc, err)
}

func (s *Service) handleArea(w http.ResponseWriter, r *http.Request) {
	c, ok := signedIn(w, r)
	if !ok {
		return
	}
	v, err := s.Area(r.Context(), c)
	respond(w, r, http.StatusOK, v, err)
}

func (s *Service) handleSetArea(w http.ResponseWriter, r *http.Request) {
	c, ok := signedInCitizen(w, r)
	if !ok {
		return
	}
	var in AreaInput
	if err := api.Decode(w, r, &in, 4<<10); err != nil {
		api.Fail(w, r, err)
		return
	}
	v, err := s.SetArea(r.Context(), c, in)
	respond(w, r, http.StatusOK, v, err)
}

func (s *Service) handleDisableArea(w http.ResponseWriter, r *http.Request) {
	c, ok := signedIn(w, r)
	if !ok {
		return
	}
	if err := s.DisableArea(r.Context(), c); err != nil {
		api.Fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Service) handleInbox(w http.ResponseWriter, r *http.Request) {
	c, ok := signedIn(w, r)
	if !ok {
		return
	}
	in, err := s.Inbox(r.Context(), c, 0)
	respond(w, r, http.StatusOK, in, err)
}

func (s *Service) handleRead(w http.ResponseWriter, r *http.Request) {
	c, ok := signedInCitizen(w, r)
	if !ok {
		return
	}
	var in struct {
		Upto int64 `json:"upto"`
	}
	if err := api.Decode(w, r, &in, 1<<10); err != nil {
		api.Fail(w, r, err)
		return
	}
	if err := s.MarkRead(r.Context(), c, in.Upto); err != nil {
		api.Fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
