package alarm_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"open110/app"
	"open110/platform/db"
	"open110/platform/db/dbtest"
	"open110/platform/sms"
)

type resp struct {
	status int
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
	r := resp{status: res.StatusCode, raw: string(b)}
	_ = json.Unmarshal(b, &r.body)
	return r
}

var codeRE = regexp.MustCompile(`\d{6}`)

func signInCitizen(t *testing.T, base, data, phone string) string {
	t.Helper()
	if r := call(t, "POST", base+"/api/v1/auth/otp", "", `{"phone":"`+phone+`"}`); r.status != 202 {
		t.Fatalf("otp: %d %s", r.status, r.raw)
	}
	msgs, err := sms.ReadOutbox(filepath.Join(data, "sms-outbox.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	code := codeRE.FindString(msgs[len(msgs)-1].Text)
	r := call(t, "POST", base+"/api/v1/auth/otp/verify", "", `{"phone":"`+phone+`","code":"`+code+`"}`)
	if r.status != 200 {
		t.Fatalf("verify: %d %s", r.status, r.raw)
	}
	return r.body["token"].(string)
}

func login(t *testing.T, base, user string) string {
	t.Helper()
	r := call(t, "POST", base+"/api/v1/auth/login", "", `{"username":"`+user+`","password":"open110-demo"}`)
	if r.status != 200 {
		t.Fatalf("login %s: %d %s", user, r.status, r.raw)
	}
	return r.body["token"].(string)
}

const raiseBody = `{"kind":"text","location":{"lat":38.0427,"lng":114.5217,"accuracy_m":15}}`

// TestNodeRaiseToClose runs the whole path on a real node: real sign-in,
// the geo router, the account middleware.
func TestNodeRaiseToClose(t *testing.T) {
	for _, dialect := range []db.Dialect{db.SQLite, db.Postgres} {
		t.Run(string(dialect), func(t *testing.T) {
			dir := t.TempDir()
			a, err := app.Start(context.Background(), app.Config{Data: dir, DB: dbtest.URL(t, dialect), NATS: os.Getenv("OPEN110_TEST_NATS"),
				Addr: "127.0.0.1:0", Demo: true}, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			cit := signInCitizen(t, a.URL, dir, "13800000021")
			own, other := login(t, a.URL, "d130102"), login(t, a.URL, "d130104")
			r := call(t, "POST", a.URL+"/api/v1/alarms", cit, raiseBody)
			if r.status != 201 || r.body["state"] != "queued" || r.body["center"].(map[string]any)["code"] != "130102" {
				t.Fatalf("raise %d %s", r.status, r.raw)
			}
			id := r.body["id"].(string)
			if r := call(t, "GET", a.URL+"/api/v1/alarms/"+id, other, ""); r.status != 404 {
				t.Fatalf("other centre: %d", r.status)
			}
			if r := call(t, "GET", a.URL+"/api/v1/alarms?state=queued", own, ""); !strings.Contains(r.raw, id) {
				t.Fatalf("own queue: %s", r.raw)
			}
			if r := call(t, "POST", a.URL+"/api/v1/alarms/"+id+"/answer", own, ""); r.status != 200 {
				t.Fatalf("answer %d %s", r.status, r.raw)
			}
			call(t, "POST", a.URL+"/api/v1/alarms/"+id+"/messages", cit, `{"text":"有人跟着我"}`)
			call(t, "POST", a.URL+"/api/v1/alarms/"+id+"/messages", own, `{"text":"请问您现在安全吗？"}`)
			if r := call(t, "GET", a.URL+"/api/v1/alarms/"+id+"/messages", cit, ""); len(r.body["messages"].([]any)) != 2 {
				t.Fatalf("messages %s", r.raw)
			}
			if r := call(t, "POST", a.URL+"/api/v1/alarms/"+id+"/end", own, `{"disposition":"resolved"}`); r.status != 200 || r.body["state"] != "closed" {
				t.Fatalf("end %d %s", r.status, r.raw)
			}
			if r := call(t, "GET", a.URL+"/api/v1/openapi.json", "", ""); !strings.Contains(r.raw, "/api/v1/alarms/{id}/answer") {
				t.Fatal("openapi lacks the alarm paths")
			}
		})
	}
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestKillAfter201 raises an alarm against a real open110 process and
// SIGKILLs it the moment the 201 arrives: after a restart the alarm is
// queued. The commit is the acknowledgement.
func TestKillAfter201(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "open110")
	if out, err := exec.Command("go", "build", "-o", bin, "open110/cmd/open110").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for _, dialect := range []db.Dialect{db.SQLite, db.Postgres} {
		t.Run(string(dialect), func(t *testing.T) {
			dir, dbURL := t.TempDir(), dbtest.URL(t, dialect)
			run := func() (*exec.Cmd, string) {
				addr := freePort(t)
				cmd := exec.Command(bin, "serve", "--addr", addr, "--data", dir, "--db", dbURL, "--demo")
				cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
				base := "http://" + addr
				for i := 0; ; i++ {
					if res, err := http.Get(base + "/readyz"); err == nil {
						res.Body.Close()
						if res.StatusCode == 200 {
							break
						}
					}
					if i > 300 {
						t.Fatal("node did not become ready")
					}
					time.Sleep(50 * time.Millisecond)
				}
				return cmd, base
			}
			cmd, base := run()
			cit := signInCitizen(t, base, dir, "13800000031")
			var ids []string
			for i := 0; i < 5; i++ {
				r := call(t, "POST", base+"/api/v1/alarms", cit, raiseBody)
				if r.status != 201 {
					t.Fatalf("raise %d %s", r.status, r.raw)
				}
				ids = append(ids, r.body["id"].(string))
			}
			cmd.Process.Signal(syscall.SIGKILL) // right after the last 201
			cmd.Wait()

			_, base = run()
			own := login(t, base, "d130102")
			r := call(t, "GET", base+"/api/v1/alarms?state=queued", own, "")
			for _, id := range ids {
				if !strings.Contains(r.raw, id) {
					t.Fatalf("alarm %s lost after SIGKILL: %s", id, r.raw)
				}
			}
			fmt.Fprintf(io.Discard, "%d alarms survived", len(ids))
		})
	}
}
