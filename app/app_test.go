package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"open110/app"
	"open110/platform/db"
	"open110/platform/db/dbtest"
	"open110/platform/sms"
)

// start boots a real node on 127.0.0.1:0 with a temp data dir.
func start(t *testing.T, cfg app.Config) *app.App {
	t.Helper()
	if cfg.Data == "" {
		cfg.Data = t.TempDir()
	}
	cfg.Addr = "127.0.0.1:0"
	a, err := app.Start(context.Background(), cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

type resp struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func call(t *testing.T, method, url, token, body string) resp {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r := resp{status: res.StatusCode, header: res.Header, raw: string(b)}
	_ = json.Unmarshal(b, &r.body)
	return r
}

func errCode(r resp) string {
	if e, ok := r.body["error"].(map[string]any); ok {
		return e["code"].(string)
	}
	return ""
}

func TestNodeEndpoints(t *testing.T) {
	dbtest.Each(t, nil, func(t *testing.T, d *db.DB) {
		url := ""
		if d.Dialect == db.Postgres {
			url = dbtest.URL(t, db.Postgres)
		}
		a := start(t, app.Config{DB: url, Demo: true})
		for _, tc := range []struct {
			name, method, path, token, body string
			status                          int
			code                            string
		}{
			{"healthz", "GET", "/healthz", "", "", 200, ""},
			{"readyz", "GET", "/readyz", "", "", 200, ""},
			{"openapi", "GET", "/api/v1/openapi.json", "", "", 200, ""},
			{"unknown endpoint", "GET", "/api/v1/nope", "", "", 404, "not_found"},
			{"wrong method", "DELETE", "/api/v1/auth/otp", "", "", 405, "method_not_allowed"},
			{"me signed out", "GET", "/api/v1/me", "", "", 401, "unauthorized"},
			{"bad token", "GET", "/api/v1/me", "o110_not-a-token", "", 401, "invalid_token"},
			{"malformed json", "POST", "/api/v1/auth/otp", "", `{"phone":`, 400, "invalid_json"},
			{"wrong type", "POST", "/api/v1/auth/otp", "", `{"phone":13800000000}`, 400, "invalid_type"},
			{"unknown field", "POST", "/api/v1/auth/otp", "", `{"phone":"13800000000","x":1}`, 400, "unknown_field"},
			{"two values", "POST", "/api/v1/auth/otp", "", `{"phone":"13800000000"}{}`, 400, "invalid_json"},
			{"empty body", "POST", "/api/v1/auth/otp", "", ``, 400, "invalid_json"},
			{"oversized", "POST", "/api/v1/auth/otp", "", `{"phone":"` + strings.Repeat("1", 5000) + `"}`, 413, "body_too_large"},
			{"invalid phone", "POST", "/api/v1/auth/otp", "", `{"phone":"12345"}`, 400, "invalid_phone"},
			{"login wrong", "POST", "/api/v1/auth/login", "", `{"username":"d130102","password":"nope"}`, 401, "invalid_credentials"},
			{"login missing", "POST", "/api/v1/auth/login", "", `{"username":"d130102"}`, 400, "missing_credentials"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := call(t, tc.method, a.URL+tc.path, tc.token, tc.body)
				if r.status != tc.status || errCode(r) != tc.code {
					t.Fatalf("%s %s: %d %q, want %d %q (%s)", tc.method, tc.path, r.status, errCode(r), tc.status, tc.code, r.raw)
				}
				if r.header.Get("X-Content-Type-Options") != "nosniff" || r.header.Get("Content-Security-Policy") == "" {
					t.Fatalf("security headers missing: %v", r.header)
				}
			})
		}
		r := call(t, "GET", a.URL+"/metrics", "", "")
		if r.status != 200 || !strings.Contains(r.raw, `open110_http_requests_total{method="GET",route="GET /readyz",status="200"}`) || !strings.Contains(r.raw, "go_goroutines") {
			t.Fatalf("metrics: %d", r.status)
		}
	})
}

var codeRE = regexp.MustCompile(`\d{6}`)

func signInCitizen(t *testing.T, a *app.App, phone string) string {
	t.Helper()
	if r := call(t, "POST", a.URL+"/api/v1/auth/otp", "", `{"phone":"`+phone+`"}`); r.status != 202 {
		t.Fatalf("otp: %d %s", r.status, r.raw)
	}
	msgs, err := sms.ReadOutbox(filepath.Join(a.Cfg.Data, "sms-outbox.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	code := codeRE.FindString(msgs[len(msgs)-1].Text)
	r := call(t, "POST", a.URL+"/api/v1/auth/otp/verify", "", `{"phone":"`+phone+`","code":"`+code+`"}`)
	if r.status != 200 {
		t.Fatalf("verify: %d %s", r.status, r.raw)
	}
	return r.body["token"].(string)
}

// TestRestartKeepsEverything signs in, stops the node, starts a new one on
// the same data dir and checks that the session, accounts and audit chain
// are still there.
func TestRestartKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	a := start(t, app.Config{Data: dir, Demo: true})
	citizen := signInCitizen(t, a, "13800000009")
	r := call(t, "POST", a.URL+"/api/v1/auth/login", "", `{"username":"d130100","password":"open110-demo"}`)
	if r.status != 200 {
		t.Fatalf("login: %d %s", r.status, r.raw)
	}
	officer := r.body["token"].(string)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}

	b := start(t, app.Config{Data: dir})
	if r := call(t, "GET", b.URL+"/api/v1/me", citizen, ""); r.status != 200 || r.body["phone"] != "+8613800000009" {
		t.Fatalf("citizen session after restart: %d %s", r.status, r.raw)
	}
	r = call(t, "GET", b.URL+"/api/v1/me", officer, "")
	if r.status != 200 || r.body["center"].(map[string]any)["name"] != "石家庄市公安局110指挥中心" {
		t.Fatalf("officer session after restart: %d %s", r.status, r.raw)
	}
	res, err := app.VerifyAudit(context.Background(), app.Config{Data: dir})
	if err != nil || !res.OK || res.Entries < 2 {
		t.Fatalf("audit after restart: %+v %v", res, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "secret.key")); err != nil {
		t.Fatal(err)
	}
	// logout revokes
	if r := call(t, "POST", b.URL+"/api/v1/auth/logout", citizen, ""); r.status != 204 {
		t.Fatalf("logout: %d", r.status)
	}
	if r := call(t, "GET", b.URL+"/api/v1/me", citizen, ""); r.status != 401 {
		t.Fatalf("after logout: %d", r.status)
	}
}

func TestConfigValidation(t *testing.T) {
	for _, cfg := range []app.Config{
		{Addr: "nonsense"},
		{DB: "mysql://x"},
		{NATS: "http://x"},
		{Blob: "ftp://x"},
		{SMSGateway: "http://gw"},
		{TrustProxy: "10.0.0.0/99"},
		{LogLevel: "loud"},
	} {
		if _, err := app.Start(context.Background(), cfg, io.Discard); err == nil {
			t.Errorf("config %+v accepted", cfg)
		}
	}
	s := app.Config{DB: "postgres://u:hunter2@h/db", SMSSecret: "hunter2", Secret: "abcd"}.String()
	if strings.Contains(s, "hunter2") || bytes.Contains([]byte(s), []byte("abcd")) {
		t.Fatalf("secrets in config dump: %s", s)
	}
}

// TestNodeWithAnotherSecretRefused: a second node on the same database
// with a different --secret does not start (it would fail every code and
// profile the first node made, and its playback tickets and forwarding
// would not be believed).
func TestNodeWithAnotherSecretRefused(t *testing.T) {
	url := dbtest.URL(t, db.Postgres)
	first := start(t, app.Config{DB: url, Secret: strings.Repeat("ab", 32)})
	first.Close()
	if a, err := app.Start(context.Background(), app.Config{Addr: "127.0.0.1:0", Data: t.TempDir(), DB: url, Secret: strings.Repeat("cd", 32)}, io.Discard); err == nil {
		a.Close()
		t.Fatal("a node with another secret started")
	} else if !strings.Contains(err.Error(), "server secret") {
		t.Fatalf("error does not say why: %v", err)
	}
	second := start(t, app.Config{DB: url, Secret: strings.Repeat("ab", 32)})
	second.Close()
}
