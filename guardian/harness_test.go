package guardian_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"open110/account"
	"open110/alarm"
	"open110/audit"
	"open110/geo"
	"open110/guardian"
	"open110/guardian/adapt"
	"open110/platform/api"
	"open110/platform/apperr"
	"open110/platform/blob"
	"open110/platform/bus"
	"open110/platform/db"
	"open110/platform/db/dbtest"
	"open110/platform/fakeclock"
	"open110/platform/sms"
)

var ctx = context.Background()

// Places (WGS-84).
var (
	museum  = guardian.Position{Lat: 38.0427, Lng: 114.5217, AccuracyM: 15} // 河北博物院 → 130102 长安区
	station = guardian.Position{Lat: 38.0103, Lng: 114.4825, AccuracyM: 30} // 石家庄站 → 130104 桥西区
)

var (
	routerOnce sync.Once
	router     *geo.Router
)

func geoRouter(t testing.TB) alarm.Router {
	routerOnce.Do(func() {
		r, err := geo.Load()
		if err != nil {
			t.Fatalf("geo: %v", err)
		}
		router = r
	})
	return alarm.GeoRouter(router)
}

type env struct {
	t      testing.TB
	d      *db.DB
	bus    bus.Bus
	blob   blob.Store
	clock  *fakeclock.Clock
	outbox string
	audit  *audit.Log
	alarms *alarm.Service
	g      *guardian.Service
	cfg    guardian.Config
}

func migrations() []db.Migrations {
	return []db.Migrations{audit.Migrations(), account.Migrations(), alarm.Migrations(), guardian.Migrations()}
}

func openBus(t testing.TB) bus.Bus {
	b, err := bus.Open(ctx, bus.Config{URL: os.Getenv("OPEN110_TEST_NATS"), DataDir: t.TempDir()}, nil)
	if err != nil {
		t.Fatalf("bus: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func newEnv(t testing.TB, d *db.DB) *env {
	e := &env{t: t, d: d, bus: openBus(t), clock: fakeclock.New(time.Date(2026, 3, 1, 14, 0, 0, 0, time.UTC))}
	dir := t.TempDir()
	var err error
	if e.blob, err = blob.OpenFS(dir); err != nil {
		t.Fatal(err)
	}
	e.outbox = filepath.Join(dir, "sms-outbox.jsonl")
	e.audit = audit.New(d, e.clock.Now)
	e.alarms, err = alarm.New(alarm.Config{}, alarm.Deps{DB: d, Bus: e.bus, Router: geoRouter(t), Audit: e.audit, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	e.start()
	return e
}

// start (re)creates the guardian service on the env's parts.
func (e *env) start() {
	e.g = guardian.New(e.cfg, guardian.Deps{DB: e.d, Bus: e.bus, Blob: e.blob, SMS: sms.NewOutbox(e.outbox, e.clock.Now), Audit: e.audit,
		Citizens: adapt.Citizens{Accounts: account.New(e.d, e.audit, nil, []byte("test-secret-key-0123"), account.Config{}, e.clock.Now, nil)}, Alarms: adapt.Alarms{S: e.alarms}, Now: e.clock.Now})
	e.t.Cleanup(func() { e.g.Close() })
}

func each(t *testing.T, fn func(t *testing.T, e *env)) {
	dbtest.Each(t, migrations(), func(t *testing.T, d *db.DB) { fn(t, newEnv(t, d)) })
}

// citizen registers a citizen (as sign-in would) and returns their principal.
func (e *env) citizen(phone string) account.Principal {
	e.t.Helper()
	norm, err := sms.NormalizePhone(phone)
	if err != nil {
		e.t.Fatal(err)
	}
	id := "c_" + strings.TrimPrefix(norm, "+")
	if _, err := e.d.Exec(ctx, "INSERT INTO citizens (id, phone, created_at) VALUES ($1, $2, $3)", id, norm, db.Micros(e.clock.Now())); err != nil {
		e.t.Fatal(err)
	}
	return account.Principal{Kind: account.Citizen, ID: id, Phone: norm, SignInIP: "198.51.100.1"}
}

func officer(user string, role account.Role, center string) account.Principal {
	return account.Principal{Kind: account.Officer, ID: "o_" + user, Username: user, Role: role, Center: center, SignInIP: "10.0.0.7"}
}

// guardOf links g as an accepted (default) guardian of owner.
func (e *env) guardOf(owner, g account.Principal, def bool) guardian.Link {
	e.t.Helper()
	l, err := e.g.Invite(ctx, owner, g.Phone, "", def)
	if err != nil {
		e.t.Fatalf("invite: %v", err)
	}
	if _, err := e.g.Respond(ctx, g, l.ID, true); err != nil {
		e.t.Fatalf("accept: %v", err)
	}
	return l
}

func (e *env) startTrip(p account.Principal, req guardian.StartRequest) guardian.Trip {
	e.t.Helper()
	if req.Mode == "" {
		req.Mode = guardian.Taxi
	}
	tr, err := e.g.Start(ctx, p, req)
	if err != nil {
		e.t.Fatalf("start: %v", err)
	}
	return tr
}

func pt(seq int64, at time.Time, p guardian.Position) guardian.Point {
	return guardian.Point{Seq: seq, At: at, Position: p}
}

func (e *env) add(p account.Principal, tripID string, pts ...guardian.Point) guardian.IngestResult {
	e.t.Helper()
	res, err := e.g.AddPoints(ctx, p, tripID, pts)
	if err != nil {
		e.t.Fatalf("add points: %v", err)
	}
	return res
}

// sms returns the outbox lines to phone.
func (e *env) sms(phone string) []string {
	e.t.Helper()
	f, err := os.Open(e.outbox)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		e.t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m sms.Message
		if json.Unmarshal(sc.Bytes(), &m) == nil && m.To == phone {
			out = append(out, m.Text)
		}
	}
	return out
}

func code(err error) string { return apperr.CodeOf(err) }

// testAuth stands in for the account middleware: "Bearer <name>" → principal.
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
	e.g.Register(mux)
	srv := httptest.NewServer(testAuth(mux, who))
	e.t.Cleanup(srv.Close)
	return srv
}

func (e *env) citizenByPhone(phone string) account.Principal {
	e.t.Helper()
	norm, _ := sms.NormalizePhone(phone)
	var id string
	if err := e.d.QueryRow(ctx, "SELECT id FROM citizens WHERE phone = $1", norm).Scan(&id); err != nil {
		e.t.Fatal(err)
	}
	return account.Principal{Kind: account.Citizen, ID: id, Phone: norm}
}

// waitSMS waits for an SMS to phone containing substr (notices are sent
// after the commit, possibly from another goroutine).
func (e *env) waitSMS(phone, substr string) {
	e.t.Helper()
	for i := 0; i < 200; i++ {
		for _, s := range e.sms(phone) {
			if strings.Contains(s, substr) {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.t.Fatalf("no SMS to %s containing %q: %v", phone, substr, e.sms(phone))
}
