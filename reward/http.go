package reward

import (
	"io"
	"net/http"
	"strconv"
	"time"

	"open110/account"
	"open110/platform/api"
)

// Handler serves the reward endpoints.
type Handler struct {
	svc    *Service
	claims *api.Limiter // per client IP: claim checks are public
	clues  *api.Limiter // per citizen
}

// NewHandler returns the HTTP side of svc. Claim checks are limited per IP
// (10 a minute) on top of the per-clue lock after 5 wrong codes, so a
// 6-digit code cannot be found by trying.
func NewHandler(svc *Service, now func() time.Time) *Handler {
	return &Handler{svc: svc, claims: api.NewLimiter(10, 10, now), clues: api.NewLimiter(20, 10, now)}
}

// Register adds the reward routes to mux.
func (h *Handler) Register(mux api.Mux) {
	mux.HandleFunc("GET /api/v1/rewards", h.list)
	mux.HandleFunc("POST /api/v1/rewards", h.publish)
	mux.HandleFunc("GET /api/v1/rewards/clues/mine", h.myClues)
	mux.HandleFunc("POST /api/v1/rewards/claims/check", h.check)
	mux.HandleFunc("POST /api/v1/rewards/claims/redeem", h.redeem)
	mux.HandleFunc("GET /api/v1/rewards/{id}", h.get)
	mux.HandleFunc("POST /api/v1/rewards/{id}/close", h.close)
	mux.HandleFunc("POST /api/v1/rewards/{id}/media", h.addMedia)
	mux.HandleFunc("GET /api/v1/rewards/{id}/media/{sha}", h.media)
	mux.HandleFunc("POST /api/v1/rewards/{id}/clues", h.submitClue)
	mux.HandleFunc("GET /api/v1/rewards/{id}/clues", h.listClues)
	mux.HandleFunc("POST /api/v1/rewards/{id}/clues/{cid}/reward", h.reward)
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	p := account.FromContext(r.Context())
	q := r.URL.Query()
	all := q.Get("all") == "1" || q.Get("all") == "true"
	if all {
		var err error
		if p, err = account.RequireOfficer(r); err != nil {
			api.Fail(w, r, err)
			return
		}
	}
	tasks, err := h.svc.List(r.Context(), p, q.Get("center"), all)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, map[string]any{"tasks": tasks})
}

func (h *Handler) publish(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireOfficer(r, account.Handler, account.Supervisor)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	var in NewTask
	if err := api.Decode(w, r, &in, 64<<10); err != nil {
		api.Fail(w, r, err)
		return
	}
	t, err := h.svc.Publish(r.Context(), p, in, api.ClientIP(r))
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusCreated, t)
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request) {
	t, err := h.svc.Get(r.Context(), account.FromContext(r.Context()), r.PathValue("id"))
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
	t, err := h.svc.Close(r.Context(), p, r.PathValue("id"), api.ClientIP(r))
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, t)
}

func (h *Handler) addMedia(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireOfficer(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	if r.ContentLength > MaxImage {
		api.Fail(w, r, ErrImageTooLarge)
		return
	}
	m, err := h.svc.AddMedia(r.Context(), p, r.PathValue("id"), r.Header.Get("Content-Type"), http.MaxBytesReader(w, r.Body, MaxImage+1))
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusCreated, m)
}

func (h *Handler) media(w http.ResponseWriter, r *http.Request) {
	rc, m, err := h.svc.OpenMedia(r.Context(), account.FromContext(r.Context()), r.PathValue("id"), r.PathValue("sha"))
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	defer rc.Close()
	w.Header().Set("Content-Type", m.MIME)
	w.Header().Set("Content-Length", strconv.FormatInt(m.Size, 10))
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = io.Copy(w, rc)
}

func (h *Handler) submitClue(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireCitizen(r)
	if err == nil {
		err = h.clues.Allow(p.ID)
	}
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	var in NewClue
	if err := api.Decode(w, r, &in, 32<<10); err != nil {
		api.Fail(w, r, err)
		return
	}
	out, err := h.svc.SubmitClue(r.Context(), p, r.PathValue("id"), in)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusCreated, out)
}

func (h *Handler) listClues(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireOfficer(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	cs, err := h.svc.Clues(r.Context(), p, r.PathValue("id"), api.ClientIP(r))
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, map[string]any{"clues": cs})
}

func (h *Handler) myClues(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireCitizen(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	cs, err := h.svc.MyClues(r.Context(), p)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, map[string]any{"clues": cs})
}

func (h *Handler) reward(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireOfficer(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	if _, err := h.svc.rewardable(r.Context(), p, r.PathValue("id"), r.PathValue("cid")); err != nil {
		api.Fail(w, r, err)
		return
	}
	var in struct {
		AmountYuan int64  `json:"amount_yuan"`
		Note       string `json:"note"`
	}
	if err := api.Decode(w, r, &in, 8<<10); err != nil {
		api.Fail(w, r, err)
		return
	}
	c, err := h.svc.MarkRewarded(r.Context(), p, r.PathValue("id"), r.PathValue("cid"), in.AmountYuan, in.Note, api.ClientIP(r))
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, c)
}

type claimReq struct {
	Clue string `json:"clue"`
	Code string `json:"code"`
}

func (h *Handler) claim(w http.ResponseWriter, r *http.Request, redeem bool) {
	if err := h.claims.Allow(api.ClientIP(r)); err != nil {
		api.Fail(w, r, err)
		return
	}
	var in claimReq
	if err := api.Decode(w, r, &in, 4096); err != nil {
		api.Fail(w, r, err)
		return
	}
	c, err := h.svc.CheckClaim(r.Context(), in.Clue, in.Code, redeem)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, c)
}

func (h *Handler) check(w http.ResponseWriter, r *http.Request)  { h.claim(w, r, false) }
func (h *Handler) redeem(w http.ResponseWriter, r *http.Request) { h.claim(w, r, true) }
