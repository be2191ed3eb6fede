package alarm

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"open110/account"
	"open110/platform/api"
	"open110/platform/apperr"
	"open110/platform/ids"
)

// Register adds the alarm routes to mux.
func (s *Service) Register(mux *http.ServeMux) {
	// Citizens raise, follow and talk.
	mux.HandleFunc("POST /api/v1/alarms", s.handleRaise)
	mux.HandleFunc("GET /api/v1/alarms", s.handleList)
	mux.HandleFunc("GET /api/v1/alarms/{id}", s.handleGet)
	mux.HandleFunc("POST /api/v1/alarms/{id}/cancel", s.handleCancel)
	mux.HandleFunc("POST /api/v1/alarms/{id}/messages", s.handleAddMessage)
	mux.HandleFunc("GET /api/v1/alarms/{id}/messages", s.handleMessages)
	mux.HandleFunc("POST /api/v1/alarms/{id}/messages/ack", s.handleAck)
	mux.HandleFunc("POST /api/v1/alarms/{id}/positions", s.handleAddPosition)
	mux.HandleFunc("GET /api/v1/alarms/{id}/positions", s.handlePositions)
	mux.HandleFunc("GET /api/v1/alarms/{id}/events", s.handleAlarmEvents)
	mux.HandleFunc("GET /api/v1/alarms/{id}/feed", s.handleAlarmFeed)

	// Dispatchers answer, locate, record and close.
	mux.HandleFunc("GET /api/v1/alarms/live", s.handleSnapshot)
	mux.HandleFunc("GET /api/v1/alarms/events", s.handleEvents)
	mux.HandleFunc("GET /api/v1/alarms/feed", s.handleFeed)
	mux.HandleFunc("GET /api/v1/alarms/phrases", s.handlePhrases)
	mux.HandleFunc("GET /api/v1/alarms/callbacks", s.handleCallbackList)
	mux.HandleFunc("POST /api/v1/alarms/{id}/answer", s.handleAnswer)
	mux.HandleFunc("POST /api/v1/alarms/{id}/release", s.handleRelease)
	mux.HandleFunc("POST /api/v1/alarms/{id}/transfer", s.handleTransfer)
	mux.HandleFunc("POST /api/v1/alarms/{id}/end", s.handleEnd)
	mux.HandleFunc("POST /api/v1/alarms/{id}/positions/{seq}/accept", s.handleAccept)
	mux.HandleFunc("GET /api/v1/alarms/{id}/incident", s.handleIncident)
	mux.HandleFunc("PUT /api/v1/alarms/{id}/incident", s.handleSaveIncident)
	mux.HandleFunc("GET /api/v1/alarms/{id}/incident/eido", s.handleEIDO)
	mux.HandleFunc("POST /api/v1/alarms/{id}/incident/units", s.handleDispatchUnit)
	mux.HandleFunc("POST /api/v1/alarms/{id}/incident/units/{unit}/status", s.handleUnitStatus)
	mux.HandleFunc("POST /api/v1/alarms/{id}/callbacks", s.handleAddCallback)

	// Supervisors watch; the carrier's 12110 gateway posts SMS.
	mux.HandleFunc("GET /api/v1/stats/alarms", s.handleStats)
	mux.HandleFunc("GET /api/v1/stats/alarms/centers", s.handleCentersStats)
	mux.HandleFunc("POST /api/v1/sms/inbound", s.handleSMSInbound)
}

// RaiseBody is POST /api/v1/alarms.
type RaiseBody struct {
	Kind           Kind      `json:"kind"`
	Location       *Position `json:"location"`
	Text           string    `json:"text,omitempty"`
	IdempotencyKey string    `json:"idempotency_key,omitempty"`
}

// DecodeRaise parses and checks a raise body (strict JSON). Exposed for
// fuzzing and for clients in Go.
func DecodeRaise(b []byte) (RaiseBody, error) {
	var in RaiseBody
	if err := api.DecodeBytes(b, &in); err != nil {
		return in, err
	}
	return in, checkRaise(in)
}

func checkRaise(in RaiseBody) error {
	if in.Kind == SMS || !in.Kind.Valid() {
		return ErrInvalidKind
	}
	if in.Location != nil {
		if err := in.Location.Validate(); err != nil {
			return err
		}
	}
	if in.IdempotencyKey != "" && !validIdemKey(in.IdempotencyKey) {
		return ErrInvalidIdemKey
	}
	_, err := checkText(in.Text, false)
	return err
}

func (s *Service) handleRaise(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireCitizen(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	var in RaiseBody
	if err := api.Decode(w, r, &in, 16<<10); err != nil {
		api.Fail(w, r, err)
		return
	}
	if h := r.Header.Get("Idempotency-Key"); h != "" {
		if in.IdempotencyKey != "" && in.IdempotencyKey != h {
			api.Fail(w, r, ErrInvalidIdemKey.Msg("Idempotency-Key header and idempotency_key differ"))
			return
		}
		in.IdempotencyKey = h
	}
	if err := checkRaise(in); err != nil {
		api.Fail(w, r, err)
		return
	}
	a, created, err := s.Raise(r.Context(), p, RaiseRequest{Kind: in.Kind, Location: in.Location, IdempotencyKey: in.IdempotencyKey,
		Text: in.Text, ClientIP: api.ClientIP(r)})
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	if !created {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	w.Header().Set("Location", "/api/v1/alarms/"+a.ID)
	api.JSON(w, http.StatusCreated, forCaller(a))
}

func (s *Service) handleList(w http.ResponseWriter, r *http.Request) {
	p, err := account.Require(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	f := Filter{State: State(r.URL.Query().Get("state"))}
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 500 {
			api.Fail(w, r, apperr.Invalidf("invalid_limit", "limit must be 1-500"))
			return
		}
		f.Limit = n
	}
	as, err := s.List(r.Context(), p, f)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, map[string]any{"alarms": as})
}

func (s *Service) handleGet(w http.ResponseWriter, r *http.Request) {
	p, err := account.Require(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	a, err := s.Get(r.Context(), p, r.PathValue("id"))
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, a)
}

// authorize returns the signed-in principal (an officer when officer) once
// it may do a to the alarm in the path, before the request's body is read:
// alarm_not_found when it may not see the alarm, forbidden or
// not_your_alarm when it sees it but may not do a. A caller who is refused
// learns nothing from the body rules. The service checks again, with the
// state, as it acts.
func (s *Service) authorize(r *http.Request, officer bool, a Action) (account.Principal, error) {
	var p account.Principal
	var err error
	if officer {
		p, err = account.RequireOfficer(r)
	} else {
		p, err = account.Require(r)
	}
	if err != nil {
		return p, err
	}
	id := r.PathValue("id")
	if !ids.Valid(id) {
		return p, ErrNotFound
	}
	row, err := loadRow(r.Context(), s.db, s.db.Dialect, id, false)
	if err != nil {
		return p, err
	}
	return p, Authorize(p, s.roleOf(p, row), row.view(), a)
}

type reasonBody struct {
	Reason string `json:"reason"`
}

// decodeOptional decodes a body that may be absent.
func decodeOptional(w http.ResponseWriter, r *http.Request, v any) error {
	if r.ContentLength == 0 {
		return nil
	}
	return api.Decode(w, r, v, 8<<10)
}

func (s *Service) handleCancel(w http.ResponseWriter, r *http.Request) {
	p, err := s.authorize(r, false, ActCancel)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	var in reasonBody
	if err := decodeOptional(w, r, &in); err != nil {
		api.Fail(w, r, err)
		return
	}
	a, err := s.Cancel(r.Context(), p, r.PathValue("id"), in.Reason)
	respond(w, r, a, err)
}

func respond(w http.ResponseWriter, r *http.Request, v any, err error) {
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, v)
}

// MessageBody is POST /api/v1/alarms/{id}/messages.
type MessageBody struct {
	Text     string `json:"text"`
	ClientID string `json:"client_id,omitempty"` // the sender's own id: a resend with it stores the message once
}

// DecodeMessage parses and checks a chat message body (strict JSON).
func DecodeMessage(b []byte) (string, error) {
	var in MessageBody
	if err := api.DecodeBytes(b, &in); err != nil {
		return "", err
	}
	return checkText(in.Text, true)
}

func (s *Service) handleAddMessage(w http.ResponseWriter, r *http.Request) {
	p, err := s.authorize(r, false, ActMessage)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	var in MessageBody
	if err := api.Decode(w, r, &in, 16<<10); err != nil {
		api.Fail(w, r, err)
		return
	}
	m, err := s.AddMessageOnce(r.Context(), p, r.PathValue("id"), in.Text, in.ClientID)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	if p.IsCitizen() {
		m.Sender = ""
	}
	api.JSON(w, http.StatusCreated, m)
}

func intParam(r *http.Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, apperr.Invalidf("invalid_"+name, "%s must be a non-negative integer", name)
	}
	return n, nil
}

func (s *Service) handleMessages(w http.ResponseWriter, r *http.Request) {
	p, err := account.Require(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	after, err := intParam(r, "after")
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	ms, err := s.Messages(r.Context(), p, r.PathValue("id"), after)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, map[string]any{"messages": ms})
}

type ackBody struct {
	DeliveredUpTo int64 `json:"delivered_upto"`
	ReadUpTo      int64 `json:"read_upto"`
}

func (s *Service) handleAck(w http.ResponseWriter, r *http.Request) {
	p, err := account.Require(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	if _, err := s.Access(r.Context(), p, r.PathValue("id")); err != nil {
		api.Fail(w, r, err)
		return
	}
	var in ackBody
	if err := api.Decode(w, r, &in, 1024); err != nil {
		api.Fail(w, r, err)
		return
	}
	if in.DeliveredUpTo < 0 || in.ReadUpTo < 0 {
		api.Fail(w, r, apperr.Invalidf("invalid_ack", "seq numbers must be non-negative"))
		return
	}
	n, err := s.Ack(r.Context(), p, r.PathValue("id"), in.DeliveredUpTo, in.ReadUpTo)
	respond(w, r, map[string]int{"changed": n}, err)
}

func (s *Service) handleAddPosition(w http.ResponseWriter, r *http.Request) {
	p, err := s.authorize(r, false, ActPosition)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	var in Position
	if err := api.Decode(w, r, &in, 4096); err != nil {
		api.Fail(w, r, err)
		return
	}
	f, err := s.AddPosition(r.Context(), p, r.PathValue("id"), in)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusCreated, f)
}

func (s *Service) handlePositions(w http.ResponseWriter, r *http.Request) {
	p, err := account.Require(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	fs, err := s.Positions(r.Context(), p, r.PathValue("id"))
	respond(w, r, map[string]any{"positions": fs}, err)
}

func (s *Service) handleAccept(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireOfficer(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	seq, err := strconv.ParseInt(r.PathValue("seq"), 10, 64)
	if err != nil || seq < 1 {
		api.Fail(w, r, ErrNoSuchPosition)
		return
	}
	a, err := s.AcceptPosition(r.Context(), p, r.PathValue("id"), seq)
	respond(w, r, a, err)
}

func (s *Service) handleAlarmEvents(w http.ResponseWriter, r *http.Request) {
	p, err := account.Require(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	cursor, err := intParam(r, "cursor")
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	es, err := s.Events(r.Context(), p, r.PathValue("id"), cursor, 200)
	respond(w, r, eventsPage(es, cursor), err)
}

func eventsPage(es []Event, cursor int64) map[string]any {
	if len(es) > 0 {
		cursor = es[len(es)-1].Seq
	}
	return map[string]any{"events": es, "cursor": cursor}
}

func (s *Service) handleEvents(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireOfficer(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	cursor, err := intParam(r, "cursor")
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	es, err := s.Events(r.Context(), p, "", cursor, 200)
	respond(w, r, eventsPage(es, cursor), err)
}

func (s *Service) handleSnapshot(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireOfficer(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	snap, err := s.Snapshot(r.Context(), p)
	respond(w, r, snap, err)
}

func (s *Service) handlePhrases(w http.ResponseWriter, r *http.Request) {
	if _, err := account.RequireOfficer(r); err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, map[string]any{"phrases": s.QuickPhrases(), "categories": Categories,
		"dispositions": Dispositions, "callback_outcomes": CallbackOutcomes})
}

func (s *Service) handleCallbackList(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireOfficer(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	items, err := s.CallbackList(r.Context(), p)
	respond(w, r, map[string]any{"callbacks": items}, err)
}

func (s *Service) handleAnswer(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireOfficer(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	a, err := s.Answer(r.Context(), p, r.PathValue("id"))
	respond(w, r, a, err)
}

func (s *Service) handleRelease(w http.ResponseWriter, r *http.Request) {
	p, err := s.authorize(r, true, ActRequeue)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	var in reasonBody
	if err := decodeOptional(w, r, &in); err != nil {
		api.Fail(w, r, err)
		return
	}
	a, err := s.Release(r.Context(), p, r.PathValue("id"), in.Reason)
	respond(w, r, a, err)
}

type transferBody struct {
	Center string `json:"center"`
	Note   string `json:"note"`
}

func (s *Service) handleTransfer(w http.ResponseWriter, r *http.Request) {
	p, err := s.authorize(r, true, ActTransfer)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	var in transferBody
	if err := api.Decode(w, r, &in, 8<<10); err != nil {
		api.Fail(w, r, err)
		return
	}
	a, err := s.Transfer(r.Context(), p, r.PathValue("id"), in.Center, in.Note, api.ClientIP(r))
	respond(w, r, a, err)
}

type endBody struct {
	Disposition string `json:"disposition"`
}

func (s *Service) handleEnd(w http.ResponseWriter, r *http.Request) {
	p, err := s.authorize(r, true, ActEnd)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	var in endBody
	if err := api.Decode(w, r, &in, 8<<10); err != nil {
		api.Fail(w, r, err)
		return
	}
	a, err := s.End(r.Context(), p, r.PathValue("id"), in.Disposition)
	respond(w, r, a, err)
}

func (s *Service) handleIncident(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireOfficer(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	inc, err := s.Incident(r.Context(), p, r.PathValue("id"))
	respond(w, r, inc, err)
}

func (s *Service) handleSaveIncident(w http.ResponseWriter, r *http.Request) {
	p, err := s.authorize(r, true, ActIncident)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	var in IncidentInput
	if err := api.Decode(w, r, &in, 64<<10); err != nil {
		api.Fail(w, r, err)
		return
	}
	inc, err := s.SaveIncident(r.Context(), p, r.PathValue("id"), in)
	respond(w, r, inc, err)
}

func (s *Service) handleEIDO(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireOfficer(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	doc, err := s.EIDO(r.Context(), p, r.PathValue("id"), api.ClientIP(r))
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	w.Header().Set("Content-Disposition", `attachment; filename="eido-`+r.PathValue("id")+`.json"`)
	api.JSON(w, http.StatusOK, doc)
}

type unitBody struct {
	Unit string `json:"unit"`
	Note string `json:"note"`
}

func (s *Service) handleDispatchUnit(w http.ResponseWriter, r *http.Request) {
	p, err := s.authorize(r, true, ActIncident)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	var in unitBody
	if err := api.Decode(w, r, &in, 8<<10); err != nil {
		api.Fail(w, r, err)
		return
	}
	u, err := s.DispatchUnit(r.Context(), p, r.PathValue("id"), in.Unit, in.Note)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusCreated, u)
}

type statusBody struct {
	Status string `json:"status"`
}

func (s *Service) handleUnitStatus(w http.ResponseWriter, r *http.Request) {
	p, err := s.authorize(r, true, ActIncident)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	var in statusBody
	if err := api.Decode(w, r, &in, 1024); err != nil {
		api.Fail(w, r, err)
		return
	}
	u, err := s.UnitStatus(r.Context(), p, r.PathValue("id"), r.PathValue("unit"), in.Status)
	respond(w, r, u, err)
}

type callbackBody struct {
	Outcome string `json:"outcome"`
	Note    string `json:"note"`
}

func (s *Service) handleAddCallback(w http.ResponseWriter, r *http.Request) {
	p, err := s.authorize(r, true, ActCallback)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	var in callbackBody
	if err := api.Decode(w, r, &in, 8<<10); err != nil {
		api.Fail(w, r, err)
		return
	}
	c, err := s.AddCallback(r.Context(), p, r.PathValue("id"), in.Outcome, in.Note)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusCreated, c)
}

// window reads from/to (RFC 3339); default the last 24 hours.
func (s *Service) window(r *http.Request) (time.Time, time.Time, error) {
	to, from := s.now(), s.now().Add(-24*time.Hour)
	parse := func(name string, def time.Time) (time.Time, error) {
		v := r.URL.Query().Get(name)
		if v == "" {
			return def, nil
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return def, apperr.Invalidf("invalid_"+name, "%s must be an RFC 3339 time", name)
		}
		return t.UTC(), nil
	}
	var err error
	if to, err = parse("to", to); err != nil {
		return from, to, err
	}
	if from, err = parse("from", to.Add(-24*time.Hour)); err != nil {
		return from, to, err
	}
	if !from.Before(to) || to.Sub(from) > 366*24*time.Hour {
		return from, to, apperr.Invalidf("invalid_window", "from must be before to, at most a year apart")
	}
	return from, to, nil
}

func (s *Service) handleStats(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireOfficer(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	from, to, err := s.window(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	center := r.URL.Query().Get("center")
	if center == "" {
		center = p.Center
	}
	st, err := s.Stats(r.Context(), p, center, from, to)
	respond(w, r, st, err)
}

func (s *Service) handleCentersStats(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireOfficer(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	from, to, err := s.window(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	st, err := s.CentersStats(r.Context(), p, from, to)
	respond(w, r, map[string]any{"centers": st, "from": from, "to": to}, err)
}

func (s *Service) handleSMSInbound(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 32<<10)
	body, err := readAll(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	sig, err := s.VerifySMS(r.Header.Get("X-Open110-Timestamp"), r.Header.Get("X-Open110-Signature"), body)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	in, err := DecodeSMS(body)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	res, err := s.ReceiveSMS(r.Context(), sig, in)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	status := http.StatusOK
	if res.Created {
		status = http.StatusCreated
	}
	api.JSON(w, status, res)
}

func readAll(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, apperr.ErrTooLarge
		}
		return nil, apperr.ErrInvalidJSON.Wrap(err)
	}
	return b, nil
}
