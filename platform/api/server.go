package api

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"open110/platform/apperr"
)

// Middleware wraps every request: client IP, panic recovery, security
// headers, structured request logs and per-route Prometheus metrics.
type Middleware struct {
	Log            *slog.Logger
	TrustedProxies []netip.Prefix // X-Forwarded-For is believed only from these peers
	Metrics        *Metrics
	// NodeKey verifies ForwardHeader on requests another node passed on;
	// nil: no forwarding is believed.
	NodeKey []byte
}

// Metrics are the HTTP request counters and latency histograms by route.
type Metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// NewMetrics registers the HTTP metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "open110_http_requests_total", Help: "HTTP requests by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "open110_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route", "method"}),
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach Flush and Hijack (WebSockets).
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Wrap returns next wrapped in the middleware.
func (m *Middleware) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ip := m.clientIP(r)
		ctx := r.Context()
		if fip, ok := verifyForward(m.NodeKey, r, time.Now()); ok {
			ip = fip
			ctx = WithForwarded(ctx)
		}
		log := m.Log.With("ip", ip)
		route := new(string)
		ctx = context.WithValue(WithClientIP(WithLogger(ctx, log), ip), routeKey{}, route)
		r = r.WithContext(ctx)
		sw := &statusWriter{ResponseWriter: w}
		securityHeaders(sw.Header(), r.URL.Path)
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.Error("panic in handler", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if sw.status == 0 {
					Fail(sw, r, apperr.ErrInternal)
				}
			}
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			route := *route
			if route == "" {
				route = "unmatched"
			}
			elapsed := time.Since(start)
			if m.Metrics != nil {
				m.Metrics.requests.WithLabelValues(route, r.Method, strconv.Itoa(status)).Inc()
				m.Metrics.latency.WithLabelValues(route, r.Method).Observe(elapsed.Seconds())
			}
			// The query string can carry one-time tokens: log the path only.
			lvl := slog.LevelInfo
			if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.URL.Path == "/metrics" {
				lvl = slog.LevelDebug
			}
			// A path that carries a credential (a video link's token, a
			// playback ticket) is logged as its route pattern only.
			path := r.URL.Path
			if strings.Contains(route, "{token}") || strings.Contains(route, "{ticket}") {
				path = route
			}
			log.Log(r.Context(), lvl, "http", "method", r.Method, "path", path, "route", route,
				"status", status, "bytes", sw.bytes, "dur_ms", float64(elapsed.Microseconds())/1000)
		}()
		next.ServeHTTP(sw, r)
	})
}

func (m *Middleware) clientIP(r *http.Request) string {
	peer := peerIP(r)
	if len(m.TrustedProxies) == 0 {
		return peer
	}
	addr, err := netip.ParseAddr(peer)
	if err != nil || !trusted(m.TrustedProxies, addr) {
		return peer
	}
	// Walk X-Forwarded-For from the right, skipping our own proxies.
	parts := strings.Split(r.Header.Get("X-Forwarded-For"), ",")
	for i := len(parts) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(parts[i]))
		if err != nil {
			break
		}
		if !trusted(m.TrustedProxies, a) {
			return a.String()
		}
	}
	return peer
}

func trusted(nets []netip.Prefix, a netip.Addr) bool {
	for _, p := range nets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func peerIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// securityHeaders sets the headers every response carries. The CSP allows
// only our own origin: the UIs have no inline scripts and no CDNs. Media
// (camera, microphone, geolocation) is allowed for our own pages only.
func securityHeaders(h http.Header, path string) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(self), microphone=(self), geolocation=(self)")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "+
		"connect-src 'self' ws: wss:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
}

type routeKey struct{}

// RecordRoute wraps the mux so the route pattern it matched reaches the
// metrics and request log. The mux sets Request.Pattern on the request it is
// handed, which inner middleware (adding the principal) has copied; this
// wrapper sits right around the mux and copies the pattern back out.
func RecordRoute(mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r)
		if p, ok := r.Context().Value(routeKey{}).(*string); ok {
			*p = r.Pattern
		}
	})
}

// NotFound answers unknown routes in the error format.
func NotFound(w http.ResponseWriter, r *http.Request) {
	Fail(w, r, apperr.ErrNotFound.Msg("no such endpoint: %s", r.URL.Path))
}
