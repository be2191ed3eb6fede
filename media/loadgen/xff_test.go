package loadgen

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Every synthetic citizen comes from its own address in the benchmarking
// range, so the account service's per-IP OTP limit counts them apart.
func TestCallerIPDistinct(t *testing.T) {
	bench := netip.MustParsePrefix("198.18.0.0/15")
	seen := map[string]bool{}
	for i := 0; i < 100000; i++ {
		ip := callerIP(i)
		a, err := netip.ParseAddr(ip)
		if err != nil || !bench.Contains(a) {
			t.Fatalf("callerIP(%d) = %q, want an address in %s", i, ip, bench)
		}
		if seen[ip] {
			t.Fatalf("callerIP(%d) = %s repeats", i, ip)
		}
		seen[ip] = true
	}
}

// raise sends the caller's X-Forwarded-For on the OTP request, the
// verification and the alarm.
func TestRaiseSendsForwardedFor(t *testing.T) {
	outbox := filepath.Join(t.TempDir(), "sms-outbox.jsonl")
	var mu sync.Mutex
	got := map[string]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got[r.URL.Path] = r.Header.Get("X-Forwarded-For")
		mu.Unlock()
		switch r.URL.Path {
		case "/api/v1/auth/otp":
			var req struct{ Phone string }
			_ = json.NewDecoder(r.Body).Decode(&req)
			line, _ := json.Marshal(map[string]string{"to": req.Phone, "text": "验证码 123456"})
			_ = os.WriteFile(outbox, append(line, '\n'), 0o644)
			w.WriteHeader(http.StatusAccepted)
		case "/api/v1/auth/otp/verify":
			_, _ = w.Write([]byte(`{"token":"t"}`))
		case "/api/v1/alarms":
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`{"id":"a1","center":{"code":"130102"}}`))
		}
	}))
	defer srv.Close()
	c := &call{}
	o := Options{Server: srv.URL, Outbox: outbox, Kind: "video", Lat: 38.0428, Lng: 114.5149}
	if err := raise(context.Background(), srv.Client(), o, 41, c); err != nil {
		t.Fatal(err)
	}
	want := callerIP(41)
	for _, p := range []string{"/api/v1/auth/otp", "/api/v1/auth/otp/verify", "/api/v1/alarms"} {
		if got[p] != want {
			t.Errorf("%s: X-Forwarded-For %q, want %q", p, got[p], want)
		}
	}
	if c.id != "a1" {
		t.Errorf("alarm id %q", c.id)
	}
}
