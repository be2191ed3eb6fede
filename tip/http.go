package tip

import (
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"open110/account"
	"open110/platform/api"
)

// Handler serves the tip endpoints.
type Handler struct {
	svc    *Service
	tokens *api.Limiter // capture tokens and uploads per tipster
	posts  *api.Limiter // messages per account
}

// NewHandler returns the HTTP side of svc. Limits are per account: 60
// capture tokens or uploads a minute (burst 30) is far above what a person
// shooting evidence needs; tips themselves are never refused for volume,
// only flagged.
func NewHandler(svc *Service, now func() time.Time) *Handler {
	return &Handler{svc: svc, tokens: api.NewLimiter(60, 30, now), posts: api.NewLimiter(30, 20, now)}
}

// Register adds the tip routes to mux.
func (h *Handler) Register(mux api.Mux) {
	mux.HandleFunc("GET /api/v1/tips/categories", h.categories)
	mux.HandleFunc("POST /api/v1/tips/capture-tokens", h.issueToken)
	mux.HandleFunc("POST /api/v1/tips/media", h.upload)
	mux.HandleFunc("POST /api/v1/tips", h.submit)
	mux.HandleFunc("GET /api/v1/tips/mine", h.mine)
	mux.HandleFunc("GET /api/v1/tips", h.queue)
	mux.HandleFunc("GET /api/v1/tips/{id}", h.get)
	mux.HandleFunc("GET /api/v1/tips/{id}/media/{mid}", h.media)
	mux.HandleFunc("GET /api/v1/tips/{id}/messages", h.messages)
	mux.HandleFunc("POST /api/v1/tips/{id}/messages", h.postMessage)
	mux.HandleFunc("POST /api/v1/tips/{id}/assign", h.assign)
	mux.HandleFunc("POST /api/v1/tips/{id}/accept", h.accept)
	mux.HandleFunc("POST /api/v1/tips/{id}/close", h.close)
	mux.HandleFunc("POST /api/v1/tips/{id}/identity/reveal", h.reveal)
	mux.HandleFunc("GET /api/v1/tips/{id}/access-log", h.accessLog)
	mux.HandleFunc("GET /api/v1/tips/{id}/export", h.export)
}

func (h *Handler) categories(w http.ResponseWriter, r *http.Request) {
	api.JSON(w, http.StatusOK, map[string]any{"categories": Categories, "results": Results})
}

func (h *Handler) issueToken(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireCitizen(r)
	if err == nil {
		err = h.tokens.Allow("t:" + p.ID)
	}
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	tok, err := h.svc.IssueToken(r.Context(), p)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusCreated, tok)
}

// upload takes the raw media as the body with the capture metadata in
// headers: X-Capture-Token, X-Capture-Time (RFC 3339), X-Capture-Position
// ("lat,lng[,accuracy_m]", WGS-84), X-Content-SHA256 (hex).
func (h *Handler) upload(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireCitizen(r)
	if err == nil {
		err = h.tokens.Allow("u:" + p.ID)
	}
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	up := Upload{
		Token: r.Header.Get("X-Capture-Token"), ClientSHA256: r.Header.Get("X-Content-SHA256"),
		ContentType: r.Header.Get("Content-Type"), ContentLength: r.ContentLength,
		Body: http.MaxBytesReader(w, r.Body, h.svc.cfg.maxAny()+1),
	}
	if up.Token == "" {
		api.Fail(w, r, ErrTokenMissing)
		return
	}
	if ts := r.Header.Get("X-Capture-Time"); ts != "" {
		if up.CapturedAt, err = time.Parse(time.RFC3339Nano, ts); err != nil {
			api.Fail(w, r, ErrCaptureTime.Msg("X-Capture-Time must be RFC 3339"))
			return
		}
	}
	pos, ok := parsePosition(r.Header.Get("X-Capture-Position"))
	if !ok {
		api.Fail(w, r, ErrCapturePosition.Msg("X-Capture-Position must be \"lat,lng[,accuracy_m]\" in WGS-84"))
		return
	}
	up.Position = pos
	m, err := h.svc.UploadCapture(r.Context(), p, up)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusCreated, m)
}

func parsePosition(s string) (Position, bool) {
	parts := strings.Split(s, ",")
	if len(parts) < 2 || len(parts) > 3 {
		return Position{}, false
	}
	var v [3]float64
	for i, part := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
		if err != nil {
			return Position{}, false
		}
		v[i] = f
	}
	p := Position{Lat: v[0], Lng: v[1], AccuracyM: v[2]}
	return p, validPosition(p)
}

func (h *Handler) submit(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireCitizen(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	var in NewTip
	if err := api.Decode(w, r, &in, 64<<10); err != nil {
		api.Fail(w, r, err)
		return
	}
	t, err := h.svc.Submit(r.Context(), p, in)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	t.Handler, t.Flags = "", []string{}
	api.JSON(w, http.StatusCreated, t)
}

func (h *Handler) mine(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireCitizen(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	list, err := h.svc.Mine(r.Context(), p)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, map[string]any{"tips": list})
}

func (h *Handler) queue(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireOfficer(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	q := r.URL.Query()
	list, err := h.svc.Queue(r.Context(), p, Filter{Center: q.Get("center"), State: State(q.Get("state")), Mine: q.Get("mine") == "1" || q.Get("mine") == "true"})
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, map[string]any{"tips": list})
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request) {
	p, err := account.Require(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	d, err := h.svc.Get(r.Context(), p, r.PathValue("id"), api.ClientIP(r))
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, d)
}

func (h *Handler) media(w http.ResponseWriter, r *http.Request) {
	p, err := account.Require(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	rc, m, err := h.svc.OpenMedia(r.Context(), p, r.PathValue("id"), r.PathValue("mid"), api.ClientIP(r))
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	defer rc.Close()
	w.Header().Set("Content-Type", m.MIME)
	w.Header().Set("Content-Length", strconv.FormatInt(m.Size, 10))
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("X-Content-SHA256", m.SHA256)
	w.Header().Set("Content-Disposition", "inline")
	_, _ = io.Copy(w, rc)
}

func (h *Handler) messages(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireCitizen(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	ms, err := h.svc.Messages(r.Context(), p, r.PathValue("id"), after)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, map[string]any{"messages": ms})
}

func (h *Handler) postMessage(w http.ResponseWriter, r *http.Request) {
	p, err := account.Require(r)
	if err == nil {
		err = h.posts.Allow(p.Actor())
	}
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	if _, _, err := h.svc.correspondent(r.Context(), p, r.PathValue("id")); err != nil {
		api.Fail(w, r, err)
		return
	}
	var in struct {
		Text string `json:"text"`
	}
	if err := api.Decode(w, r, &in, 16<<10); err != nil {
		api.Fail(w, r, err)
		return
	}
	m, err := h.svc.PostMessage(r.Context(), p, r.PathValue("id"), api.ClientIP(r), in.Text)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusCreated, m)
}

func (h *Handler) assign(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireOfficer(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	if _, err := h.svc.assignable(r.Context(), p, r.PathValue("id")); err != nil {
		api.Fail(w, r, err)
		return
	}
	var in struct {
		Handler string `json:"handler"`
	}
	if err := api.Decode(w, r, &in, 4096); err != nil {
		api.Fail(w, r, err)
		return
	}
	t, err := h.svc.Assign(r.Context(), p, r.PathValue("id"), in.Handler, api.ClientIP(r))
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, t)
}

func (h *Handler) accept(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireOfficer(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	t, err := h.svc.Accept(r.Context(), p, r.PathValue("id"), api.ClientIP(r))
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, t)
}

func (h *Handler) close(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireOfficer(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	if _, err := h.svc.handled(r.Context(), p, r.PathValue("id")); err != nil {
		api.Fail(w, r, err)
		return
	}
	var in struct {
		Result Result `json:"result"`
		Note   string `json:"note"`
	}
	if err := api.Decode(w, r, &in, 16<<10); err != nil {
		api.Fail(w, r, err)
		return
	}
	t, err := h.svc.Close(r.Context(), p, r.PathValue("id"), api.ClientIP(r), in.Result, in.Note)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, t)
}

func (h *Handler) reveal(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireOfficer(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	// A refused attempt is audited here, before its body (and reason) is
	// read: the caller learns nothing of what the body should hold.
	if _, err := h.svc.revealer(r.Context(), p, r.PathValue("id"), api.ClientIP(r), ""); err != nil {
		api.Fail(w, r, err)
		return
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if err := api.Decode(w, r, &in, 4096); err != nil {
		api.Fail(w, r, err)
		return
	}
	id, err := h.svc.Reveal(r.Context(), p, r.PathValue("id"), api.ClientIP(r), in.Reason)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, id)
}

func (h *Handler) accessLog(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireOfficer(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	es, err := h.svc.AccessLog(r.Context(), p, r.PathValue("id"))
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, map[string]any{"entries": es})
}

func (h *Handler) export(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireOfficer(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	// Build into a temporary file first so a failure still gets a JSON
	// error and the client learns the length.
	f, err := os.CreateTemp(h.svc.cfg.TempDir, "open110-export-*")
	if err != nil {
		api.Fail(w, r, internal("export", err))
		return
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if err := h.svc.Export(r.Context(), p, r.PathValue("id"), api.ClientIP(r), f); err != nil {
		api.Fail(w, r, err)
		return
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		api.Fail(w, r, internal("export", err))
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="tip-`+r.PathValue("id")+`.zip"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	_, _ = io.Copy(w, f)
}
