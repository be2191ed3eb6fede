package app

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"open110/platform/api"
	"open110/platform/apperr"
)

// registerPlatform adds the operational endpoints of DESIGN §5.
func (a *App) registerPlatform() {
	a.Mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		api.JSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	a.Mux.HandleFunc("GET /readyz", a.handleReady)
	a.Mux.Handle("GET /metrics", promhttp.HandlerFor(a.Metrics, promhttp.HandlerOpts{}))
	a.Mux.HandleFunc("GET /api/v1/openapi.json", a.handleOpenAPI)
	a.Mux.HandleFunc("/api/", a.handleUnmatchedAPI)
}

// handleUnmatchedAPI answers API paths no feature claims: 405 when the path
// exists for another method, else 404, both in the JSON error format. (The
// catch-all keeps the web UI's "/" handler from answering API paths.)
func (a *App) handleUnmatchedAPI(w http.ResponseWriter, r *http.Request) {
	var allowed []string
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := a.Mux.Handler(probe); pattern != "" && pattern != "/api/" {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		api.Fail(w, r, apperr.ErrMethodNotAllowed.Msg("method %s not allowed on %s", r.Method, r.URL.Path))
		return
	}
	api.NotFound(w, r)
}

// handleReady answers 200 only when the database, bus and evidence store
// all answer, so a load balancer sends no alarm to a node that cannot keep it.
func (a *App) handleReady(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	checks := map[string]string{}
	ok := true
	for name, ping := range map[string]func(context.Context) error{
		"db": a.DB.Ping, "bus": a.Bus.Ping, "blob": a.Blob.Ping,
	} {
		if err := ping(ctx); err != nil {
			checks[name] = "down"
			ok = false
			a.Log.Warn("readiness check failed", "part", name, "err", err)
		} else {
			checks[name] = "ok"
		}
	}
	status := http.StatusOK
	if !ok {
		status = http.StatusServiceUnavailable
	}
	api.JSON(w, status, map[string]any{"ready": ok, "checks": checks})
}

// jsonErrors turns the mux's own plain-text 404 and 405 answers into the
// JSON error format. Our handlers always write JSON, so a text/plain error
// status can only come from the mux itself.
func jsonErrors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&errorRewriter{ResponseWriter: w, r: r}, r)
	})
}

type errorRewriter struct {
	http.ResponseWriter
	r         *http.Request
	swallowed bool
}

func (e *errorRewriter) WriteHeader(code int) {
	ct := e.Header().Get("Content-Type")
	if (code == http.StatusNotFound || code == http.StatusMethodNotAllowed) && strings.HasPrefix(ct, "text/plain") {
		e.swallowed = true
		e.Header().Del("Content-Type")
		e.Header().Del("X-Content-Type-Options")
		e.Header().Set("X-Content-Type-Options", "nosniff")
		if code == http.StatusNotFound {
			api.Fail(e.ResponseWriter, e.r, apperr.ErrNotFound.Msg("no such endpoint: %s", e.r.URL.Path))
		} else {
			api.Fail(e.ResponseWriter, e.r, apperr.ErrMethodNotAllowed.Msg("method %s not allowed on %s", e.r.Method, e.r.URL.Path))
		}
		return
	}
	e.ResponseWriter.WriteHeader(code)
}

func (e *errorRewriter) Write(b []byte) (int, error) {
	if e.swallowed {
		return len(b), nil
	}
	return e.ResponseWriter.Write(b)
}

func (e *errorRewriter) Unwrap() http.ResponseWriter { return e.ResponseWriter }
