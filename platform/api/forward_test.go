package api

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestForwardHeader: a node's signed note of the client IP is believed
// only with the cluster key, on the path it was signed for, within the
// window; otherwise the request is an ordinary one from its peer.
func TestForwardHeader(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	now := time.Now()
	const path = "/api/v1/alarms/a1/rtc"
	cases := []struct {
		name, path, header string
		key                []byte
		want               string // believed client IP; "" = not forwarded
	}{
		{"valid", path, SignForward(key, path, "203.0.113.7", now), key, "203.0.113.7"},
		{"ipv6", path, SignForward(key, path, "2001:db8::1", now), key, "2001:db8::1"},
		{"other path", "/api/v1/alarms/a2/rtc", SignForward(key, path, "203.0.113.7", now), key, ""},
		{"other key", path, SignForward([]byte("another key, another cluster...."), path, "203.0.113.7", now), key, ""},
		{"no key here", path, SignForward(key, path, "203.0.113.7", now), nil, ""},
		{"too old", path, SignForward(key, path, "203.0.113.7", now.Add(-ForwardWindow-time.Second)), key, ""},
		{"from the future", path, SignForward(key, path, "203.0.113.7", now.Add(ForwardWindow+time.Second)), key, ""},
		{"not an IP", path, SignForward(key, path, "evil", now), key, ""},
		{"garbled", path, "203.0.113.7;1;x", key, ""},
		{"too many parts", path, "203.0.113.7;1;x;y", key, ""},
		{"absent", path, "", key, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var gotIP string
			var fwd bool
			m := &Middleware{Log: slog.New(slog.DiscardHandler), NodeKey: c.key}
			h := m.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				gotIP, fwd = ClientIP(r), Forwarded(r)
			}))
			r := httptest.NewRequest("GET", c.path, nil)
			r.RemoteAddr = "10.0.0.2:40000" // the forwarding node
			if c.header != "" {
				r.Header.Set(ForwardHeader, c.header)
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			switch {
			case c.want == "" && (fwd || gotIP != "10.0.0.2"):
				t.Fatalf("believed: ip %s forwarded %v", gotIP, fwd)
			case c.want != "" && (!fwd || gotIP != c.want):
				t.Fatalf("not believed: ip %s forwarded %v", gotIP, fwd)
			}
		})
	}
}

// TestMessageRate: a burst passes, the next message does not, and the
// bucket refills at the sustained rate.
func TestMessageRate(t *testing.T) {
	clk := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	m := NewMessageRate(10, 5)
	m.now = func() time.Time { return clk }
	for i := 0; i < 5; i++ {
		if !m.Allow() {
			t.Fatalf("message %d of the burst refused", i)
		}
	}
	if m.Allow() {
		t.Fatal("sixth message at once allowed")
	}
	clk = clk.Add(100 * time.Millisecond) // one token back at 10/s
	if !m.Allow() || m.Allow() {
		t.Fatal("refill: want exactly one more message after 100 ms")
	}
	clk = clk.Add(time.Hour) // refills to the burst, not beyond
	n := 0
	for m.Allow() {
		n++
	}
	if n != 5 {
		t.Fatalf("after an hour idle: %d messages, want the burst of 5", n)
	}
}

// TestCredentialPathsNotLogged: a request whose path carries a credential
// (a link token, a playback ticket) is logged by its route pattern.
func TestCredentialPathsNotLogged(t *testing.T) {
	var buf strings.Builder
	m := &Middleware{Log: slog.New(slog.NewTextHandler(&buf, nil))}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/media/play/{ticket}", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("GET /api/v1/alarms/{id}", func(http.ResponseWriter, *http.Request) {})
	h := m.Wrap(RecordRoute(mux))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/api/v1/media/play/SECRETTICKET123", nil))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/api/v1/alarms/a123", nil))
	out := buf.String()
	if strings.Contains(out, "SECRETTICKET123") {
		t.Fatalf("ticket in the log:\n%s", out)
	}
	if !strings.Contains(out, "/api/v1/alarms/a123") {
		t.Fatalf("ordinary path not logged:\n%s", out)
	}
}
