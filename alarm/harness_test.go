package alarm

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"open110/account"
	"open110/audit"
	"open110/geo"
	"open110/platform/api"
	"open110/platform/bus"
	"open110/platform/db"
	"open110/platform/db/dbtest"
	"open110/platform/fakeclock"
	"open110/platform/sms"
)

// Places (WGS-84) and where they route.
var (
	museum    = Position{Lat: 38.0427, Lng: 114.5217, AccuracyM: 15} // 河北博物院 → 130102 长安区
	station   = Position{Lat: 38.0103, Lng: 114.4825, AccuracyM: 30} // 石家庄站 → 130104 桥西区
	beijing   = Position{Lat: 39.9087, Lng: 116.3975, AccuracyM: 10} // 天安门: outside Hebei
	smsSecret = []byte("test-sms-secret")
)

var (
	routerOnce sync.Once
	router     *geo.Router
)

func testRouter(t testing.TB) Router {
	routerOnce.Do(func() {
		r, err := geo.Load()
		if err != nil {
			t.Fatalf("geo: %v", err)
		}
		router = r
	})
	return GeoRouter(router)
}

type env struct {
	t      testing.TB
	s      *Service
	d      *db.DB
	bus    bus.Bus
	clock  *fakeclock.Clock
	outbox string
	reg    *prometheus.Registry
}

func openBus(t testing.TB) bus.Bus {
	b, err := bus.Open(context.Background(), bus.Config{URL: os.Getenv("OPEN110_TEST_NATS"), DataDir: t.TempDir()}, nil)
	if err != nil {
		t.Fatalf("bus: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func newEnv(t testing.TB, d *db.DB) *env {
	return newEnvWith(t, d, Config{SMSSecret: smsSecret, SMSNumberAreas: map[string]string{"12110311": "130100"}})
}

func newEnvWith(t testing.TB, d *db.DB, cfg Config) *env {
	e := &env{t: t, d: d, bus: openBus(t), clock: fakeclock.New(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)), reg: prometheus.NewRegistry()}
	e.outbox = filepath.Join(t.TempDir(), "sms-outbox.jsonl")
	s, err := New(cfg, Deps{DB: d, Bus: e.bus, Router: testRouter(t), SMS: sms.NewOutbox(e.outbox, e.clock.Now),
		Audit: audit.New(d, e.clock.Now), Metrics: e.reg, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	e.s = s
	return e
}

func migrationsAll() []db.Migrations { return []db.Migrations{audit.Migrations(), Migrations()} }

func each(t *testing.T, fn func(t *testing.T, e *env)) {
	dbtest.Each(t, migrationsAll(), func(t *testing.T, d *db.DB) { fn(t, newEnv(t, d)) })
}

func citizen(id string) account.Principal {
	return account.Principal{Kind: account.Citizen, ID: id, Phone: "+861380000" + id[len(id)-4:]}
}

func dispatcher(user, center string) account.Principal {
	return account.Principal{Kind: account.Officer, ID: "o-" + user, Username: user, Role: account.Dispatcher, Center: center}
}

func supervisor(center string) account.Principal {
	return account.Principal{Kind: account.Officer, ID: "s-" + center, Username: "s" + center, Role: account.Supervisor, Center: center}
}

var ctx = context.Background()

func (e *env) raise(p account.Principal, kind Kind, pos *Position) Alarm {
	e.t.Helper()
	a, created, err := e.s.Raise(ctx, p, RaiseRequest{Kind: kind, Location: pos, ClientIP: "198.51.100.7"})
	if err != nil || !created {
		e.t.Fatalf("raise: %v (created %v)", err, created)
	}
	return a
}

// testAuth resolves "Authorization: Bearer <name>" (or ?access_token=) to
// a principal from the map, standing in for the account middleware.
func testAuth(next http.Handler, who map[string]account.Principal) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := r.URL.Query().Get("access_token")
		if h := r.Header.Get("Authorization"); len(h) > 7 {
			tok = h[7:]
		}
		if p, ok := who[tok]; ok {
			r = r.WithContext(account.WithPrincipal(r.Context(), p))
		}
		r = r.WithContext(api.WithClientIP(r.Context(), "203.0.113.9"))
		next.ServeHTTP(w, r)
	})
}

func (e *env) server(who map[string]account.Principal) *httptest.Server {
	mux := http.NewServeMux()
	e.s.Register(mux)
	srv := httptest.NewServer(testAuth(mux, who))
	e.t.Cleanup(srv.Close)
	return srv
}
