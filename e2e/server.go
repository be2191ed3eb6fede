package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"open110/app"
	"open110/platform/sms"
)

// DemoPassword is the password of every demo officer (DESIGN §6).
const DemoPassword = "open110-demo"

// Server is a real open110 node for a test: app.Start on 127.0.0.1:0 with
// a temp data dir and the Hebei demo data (centres and demo officers).
type Server struct {
	App  *app.App
	URL  string // e.g. http://127.0.0.1:41234
	Data string // the data dir: sms-outbox.jsonl lives here
	t    testing.TB
}

// StartServer boots a node; configure may change the config before start
// (e.g. to use PostgreSQL or set PublicURL). The node's log is printed if
// the test fails. It stops when the test ends.
func StartServer(t testing.TB, configure ...func(*app.Config)) *Server {
	t.Helper()
	cfg := app.Config{Addr: "127.0.0.1:0", Data: t.TempDir(), Demo: true, LogLevel: "info"}
	for _, f := range configure {
		f(&cfg)
	}
	logs := &syncBuffer{}
	a, err := app.Start(context.Background(), cfg, logs)
	if err != nil {
		t.Fatalf("e2e: start server: %v\n%s", err, logs.String())
	}
	t.Cleanup(func() {
		a.Close()
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return &Server{App: a, URL: a.URL, Data: cfg.Data, t: t}
}

// Outbox is the path of the node's SMS outbox.
func (s *Server) Outbox() string { return filepath.Join(s.Data, "sms-outbox.jsonl") }

// LatestSMSCode is the 6-digit code of the newest SMS to phone.
func (s *Server) LatestSMSCode(t testing.TB, phone string) string {
	t.Helper()
	return LatestSMSCode(t, s.Outbox(), phone)
}

var sixDigits = regexp.MustCompile(`\b(\d{6})\b`)

// LatestSMSCode reads the outbox file (DESIGN §6) and returns the 6-digit
// code in the newest message to phone (any spelling sms.NormalizePhone
// accepts). It waits up to DefaultTimeout for one to arrive, so it can be
// called right after the browser asked for a code.
func LatestSMSCode(t testing.TB, outbox, phone string) string {
	t.Helper()
	to, err := sms.NormalizePhone(phone)
	if err != nil {
		t.Fatalf("e2e: phone %q: %v", phone, err)
	}
	deadline := time.Now().Add(DefaultTimeout)
	for {
		msgs, _ := sms.ReadOutbox(outbox) // missing file: nothing sent yet
		for i := len(msgs) - 1; i >= 0; i-- {
			if msgs[i].To != to {
				continue
			}
			if m := sixDigits.FindStringSubmatch(msgs[i].Text); m != nil {
				return m[1]
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("e2e: no SMS code for %s in %s", to, outbox)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Call makes a JSON API request (token may be empty) and decodes the
// answer into out (may be nil). It returns the status; transport errors
// fail the test.
func (s *Server) Call(t testing.TB, method, path, token string, body, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("e2e: %s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("e2e: %s %s: decode %q: %v", method, path, raw, err)
		}
	}
	return res.StatusCode
}

// CitizenToken signs a citizen in through the API (OTP from the outbox)
// and returns the session token: for setting up a test, not for testing
// sign-in.
func (s *Server) CitizenToken(t testing.TB, phone string) string {
	t.Helper()
	if st := s.Call(t, "POST", "/api/v1/auth/otp", "", map[string]string{"phone": phone}, nil); st != http.StatusAccepted {
		t.Fatalf("e2e: request OTP for %s: status %d", phone, st)
	}
	var out struct{ Token string }
	code := s.LatestSMSCode(t, phone)
	if st := s.Call(t, "POST", "/api/v1/auth/otp/verify", "", map[string]string{"phone": phone, "code": code}, &out); st != 200 {
		t.Fatalf("e2e: verify OTP for %s: status %d", phone, st)
	}
	return out.Token
}

// OfficerToken signs a demo officer in through the API (password
// DemoPassword) and returns the session token.
func (s *Server) OfficerToken(t testing.TB, username string) string {
	t.Helper()
	var out struct{ Token string }
	if st := s.Call(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": username, "password": DemoPassword}, &out); st != 200 {
		t.Fatalf("e2e: officer %s sign-in: status %d", username, st)
	}
	return out.Token
}

// Token keys in localStorage: each shell keeps its own session.
const (
	CitizenTokenKey = "open110.token"
	ConsoleTokenKey = "open110.console.token"
)

// OpenCitizen loads the citizen app already signed in as phone (signing in
// through the API): the quick start for feature tests. It returns when the
// home screen shows.
func (tb *Tab) OpenCitizen(s *Server, phone string) {
	tb.T.Helper()
	token := s.CitizenToken(tb.T, phone)
	tb.Navigate(s.URL + "/#/signin")
	tb.SetLocalStorage(CitizenTokenKey, token)
	tb.Navigate(s.URL + "/#/")
	tb.WaitVisible(".grid-alarms")
}

// OpenConsole loads the console already signed in as the demo officer
// username. It returns when the console shell shows the centre's name.
func (tb *Tab) OpenConsole(s *Server, username string) {
	tb.T.Helper()
	token := s.OfficerToken(tb.T, username)
	tb.Navigate(s.URL + "/console/")
	tb.SetLocalStorage(ConsoleTokenKey, token)
	tb.Navigate(s.URL + "/console/")
	tb.WaitVisible("[data-testid=center-name]")
}

// SignInCitizen signs in through the UI: phone, "获取验证码", the code from
// the outbox, "登录". It returns when the home screen shows.
func (tb *Tab) SignInCitizen(s *Server, phone string) {
	tb.T.Helper()
	tb.Navigate(s.URL + "/#/signin")
	tb.WaitVisible("input[name=phone]")
	tb.Type("input[name=phone]", phone)
	tb.Click("button.send-code")
	tb.WaitFunc("the code to be sent", func() (string, bool) {
		s, _ := tb.tryEval(`document.querySelector('.form-info')?.innerText || document.querySelector('.form-msg')?.innerText || ''`)
		return s, s != ""
	})
	code := s.LatestSMSCode(tb.T, phone)
	tb.Type("input[name=code]", code)
	tb.Click("[data-testid=signin-submit]")
	tb.WaitVisible(".grid-alarms")
}

// SignInOfficer signs in to the console through the UI with the demo
// password (and totp when not empty). It returns when the shell shows.
func (tb *Tab) SignInOfficer(s *Server, username string) {
	tb.T.Helper()
	tb.Navigate(s.URL + "/console/")
	tb.WaitVisible("input[name=username]")
	tb.Type("input[name=username]", username)
	tb.Type("input[name=password]", DemoPassword)
	tb.Click("button[type=submit]")
	tb.WaitVisible("[data-testid=center-name]")
}

// syncBuffer collects the node's log for printing on failure.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b.Len() > 4<<20 { // keep the tail only
		rest := s.b.Bytes()[s.b.Len()-1<<20:]
		s.b.Reset()
		s.b.Write(rest)
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.ToValidUTF8(s.b.String(), "?")
}
