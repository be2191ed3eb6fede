package api

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"open110/platform/apperr"
)

type loginReq struct {
	Username string `json:"username"`
	Password string `json:"password"`
	TOTP     string `json:"totp"`
}

type positionReq struct {
	Kind     string `json:"kind"`
	Location struct {
		Lat       float64 `json:"lat"`
		Lng       float64 `json:"lng"`
		AccuracyM float64 `json:"accuracy_m"`
	} `json:"location"`
}

func TestDecodeCodes(t *testing.T) {
	for _, tc := range []struct{ body, code string }{
		{`{"username":"a","password":"b"}`, ""},
		{`{"username":"a"} `, ""},
		{``, "invalid_json"},
		{`{`, "invalid_json"},
		{`nul`, "invalid_json"},
		{`{"username":1}`, "invalid_type"},
		{`{"username":"a","role":"admin"}`, "unknown_field"},
		{`{"username":"a"}{"username":"b"}`, "invalid_json"},
		{`{"username":"a"} x`, "invalid_json"},
		{`[]`, "invalid_type"},
	} {
		var v loginReq
		err := DecodeBytes([]byte(tc.body), &v)
		if got := apperr.CodeOf(err); got != tc.code {
			t.Errorf("%q: code %q (%v), want %q", tc.body, got, err, tc.code)
		}
	}
}

func TestDecodeLimitsAndTypes(t *testing.T) {
	r := httptest.NewRequest("POST", "/", strings.NewReader(`{"username":"`+strings.Repeat("x", 100)+`"}`))
	var v loginReq
	if err := Decode(httptest.NewRecorder(), r, &v, 50); apperr.CodeOf(err) != "body_too_large" {
		t.Fatalf("oversized: %v", err)
	}
	r = httptest.NewRequest("POST", "/", strings.NewReader(`{}`))
	r.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	if err := Decode(httptest.NewRecorder(), r, &v, 0); apperr.CodeOf(err) != "unsupported_media_type" {
		t.Fatalf("multipart: %v", err)
	}
}

// FuzzDecode: any input either decodes or yields a stable client error
// code; never a panic, never an internal error.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"kind":"text","location":{"lat":38.04,"lng":114.5,"accuracy_m":10}}`, `{"kind":1}`, `{"location":null}`, `{"a":`, "\x00", `{"kind":"\ud800"}`, `{"location":{"lat":1e400}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var v positionReq
		err := DecodeBytes(b, &v)
		if err == nil {
			return
		}
		e := apperr.From(err)
		if e.Kind == apperr.Internal || e.Code == "" || e.Kind.Status() != 400 {
			t.Fatalf("input %q: %v (kind %v)", b, err, e.Kind)
		}
	})
}

func TestFailFormat(t *testing.T) {
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/", nil)
	Fail(w, r, apperr.ErrRateLimited.With("retry_after_s", 7))
	if w.Code != 429 || w.Header().Get("Retry-After") != "7" || !strings.Contains(w.Body.String(), `"code":"rate_limited"`) {
		t.Fatalf("%d %v %s", w.Code, w.Header(), w.Body)
	}
	w = httptest.NewRecorder()
	Fail(w, r, errors.New("db exploded: password=hunter2"))
	if w.Code != 500 || strings.Contains(w.Body.String(), "hunter2") {
		t.Fatalf("internal error leaked: %s", w.Body)
	}
}

func TestLimiter(t *testing.T) {
	now := time.Unix(0, 0)
	l := NewLimiter(60, 3, func() time.Time { return now })
	for i := 0; i < 3; i++ {
		if err := l.Allow("a"); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Allow("a"); apperr.CodeOf(err) != "rate_limited" {
		t.Fatalf("4th: %v", err)
	}
	if err := l.Allow("b"); err != nil {
		t.Fatal("keys share a bucket")
	}
	now = now.Add(time.Second)
	if err := l.Allow("a"); err != nil {
		t.Fatalf("after refill: %v", err)
	}
}

func TestClientIP(t *testing.T) {
	m := &Middleware{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "127.0.0.1:5000"
	r.Header.Set("X-Forwarded-For", "203.0.113.9, 127.0.0.1")
	if got := m.clientIP(r); got != "203.0.113.9" {
		t.Fatalf("trusted proxy: %s", got)
	}
	r.RemoteAddr = "198.51.100.1:5000"
	if got := m.clientIP(r); got != "198.51.100.1" {
		t.Fatalf("untrusted peer's header believed: %s", got)
	}
	_ = http.StatusOK
}
