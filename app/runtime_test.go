package app_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"open110/account"
	"open110/app"
	"open110/platform/db"
	"open110/platform/db/dbtest"
	"open110/platform/fakeclock"
)

// TestSettingsApplyOnEveryNode: an administrator saves settings through
// the admin API on node A; node B (sharing PostgreSQL and an external NATS,
// on its own clock) applies them without a restart — an alarm raised on B
// overflows at the new time under B's sweep, B's dispatchers get the new
// quick phrases, B's sign-in codes go through the configured SMS gateway
// and B's clients get the configured TURN server.
func TestSettingsApplyOnEveryNode(t *testing.T) {
	natsURL := os.Getenv("OPEN110_TEST_NATS")
	if os.Getenv("OPEN110_TEST_POSTGRES") == "" || natsURL == "" {
		t.Skip("needs OPEN110_TEST_POSTGRES and OPEN110_TEST_NATS")
	}
	ctx := context.Background()
	url := dbtest.URL(t, db.Postgres)
	secret := "00112233445566778899aabbccddeeff"
	t0 := time.Now().UTC().Truncate(time.Second)
	// A's clock stands still, so A's own sweeps never move an alarm: only
	// B's sweep can overflow it.
	a := start(t, app.Config{DB: url, NATS: natsURL, Secret: secret, Demo: true, Now: func() time.Time { return t0 }})
	clk := fakeclock.New(t0)
	b := start(t, app.Config{DB: url, NATS: natsURL, Secret: secret, Now: clk.Now})

	var gwMu sync.Mutex
	var gwBodies []string
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		gwMu.Lock()
		gwBodies = append(gwBodies, string(body))
		gwMu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer gw.Close()

	// Before any save: the defaults (20 s) and the file outbox.
	if got := b.Alarms().Tuning().OverflowAfter; got != 20*time.Second {
		t.Fatalf("default overflow on b: %s", got)
	}
	adm := officerToken(t, a, "admin")
	cit := signInCitizen(t, a, "13800000304") // before the gateway takes the codes
	body := `{"base_version":0,"settings":{"overflow_after_s":8,"abandon_after_s":60,"quick_phrases":["请讲，我们在听"],
		"trip_retention_days":2,"closed_retention_days":365,"evidence_retention_days":3650,"session_retention_days":7,
		"rate_limits":{"otp_per_phone_day":10,"otp_per_ip_hour":30,"login_per_ip_minute":30,"alarms_per_phone_hour":3},
		"sms":{"gateway_url":"` + gw.URL + `","secret":"gw-secret"},
		"turn":{"urls":["turn:turn.example.cn:443?transport=tcp"],"username":"u","credential":"p"}}}`
	if r := call(t, "PUT", a.URL+"/api/v1/admin/settings", adm, body); r.status != 200 {
		t.Fatalf("save: %d %s", r.status, r.raw)
	}
	waitFor(t, "node b to apply the overflow time", func() bool { return b.Alarms().Tuning().OverflowAfter == 8*time.Second })

	// SMS: B's sign-in code goes to the gateway, not the outbox.
	if r := call(t, "POST", b.URL+"/api/v1/auth/otp", "", `{"phone":"13800000303"}`); r.status != 202 {
		t.Fatalf("otp on b: %d %s", r.status, r.raw)
	}
	gwMu.Lock()
	n := len(gwBodies)
	gwMu.Unlock()
	if n != 1 || !strings.Contains(gwBodies[0], "+8613800000303") {
		t.Fatalf("gateway got %v", gwBodies)
	}

	// A citizen raises an alarm on B; B's sweep overflows it at 8 s, not 20.
	r := call(t, "POST", b.URL+"/api/v1/alarms", cit, `{"kind":"text","location":{"lat":38.0428,"lng":114.5149,"accuracy_m":10}}`)
	if r.status != 201 {
		t.Fatalf("raise on b: %d %s", r.status, r.raw)
	}
	id := r.body["id"].(string)
	center := r.body["center"].(map[string]any)["code"].(string)
	disp := account.Principal{Kind: account.Officer, ID: "o", Username: "d" + center, Role: account.Dispatcher, Center: center}
	overflow := func() int {
		x, err := b.Alarms().Get(ctx, disp, id)
		if err != nil {
			t.Fatal(err)
		}
		return x.Overflow
	}
	clk.Add(7 * time.Second)
	if err := b.Alarms().Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if o := overflow(); o != 0 {
		t.Fatalf("overflowed at 7 s: level %d", o)
	}
	clk.Add(time.Second)
	if err := b.Alarms().Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if o := overflow(); o != 1 {
		t.Fatalf("not overflowed at the new 8 s: level %d", o)
	}

	// Quick phrases and TURN, as B's clients see them.
	dtok := officerToken(t, a, "d"+center)
	if r := call(t, "GET", b.URL+"/api/v1/alarms/phrases", dtok, ""); !strings.Contains(r.raw, "请讲，我们在听") {
		t.Fatalf("phrases on b: %s", r.raw)
	}
	if r := call(t, "GET", b.URL+"/api/v1/media/ice-servers", cit, ""); !strings.Contains(r.raw, "turn.example.cn:443") {
		t.Fatalf("ice servers on b: %s", r.raw)
	}
}
