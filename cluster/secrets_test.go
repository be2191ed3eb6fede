package cluster

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestSecretsNotInLogs runs a full flow across two nodes logging at debug
// level — citizen sign-in with OTP (and a wrong code), officer logins (and
// a wrong password), an alarm with chat both ways, a tip with the
// tipster's name and phone assigned to a handler who reveals the identity —
// and then searches every node's log for OTP codes, passwords, session
// tokens, the server secret, the object store's secret key, the identity
// sealing key and the tipster's name and phone. Any hit fails the test and
// prints the offending line.
func TestSecretsNotInLogs(t *testing.T) {
	c := shared(t, 2)
	a, b := c.Nodes[0], c.Nodes[1]
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	secrets := map[string]string{} // value → what it is
	add := func(what, v string) {
		if v != "" {
			secrets[v] = what
		}
	}
	add("server secret", c.Secret)
	add("S3 secret key", S3SecretKey)
	add("demo password", DemoPassword)
	keys, _ := os.ReadFile(c.keysFile)
	if f := strings.Fields(string(keys)); len(f) == 2 {
		add("identity sealing key", f[1])
	}

	// A citizen signs in; a wrong code first.
	citizen := NewUser("citizen", LoopbackIP(30))
	tipPhone := phone(3001)
	if r, err := citizen.Do(ctx, a.URL(), "POST", "/api/v1/auth/otp", nil, map[string]string{"phone": tipPhone}); err != nil || r.Status != 202 {
		t.Fatalf("otp: %v %v", r, err)
	}
	code, err := LatestCode(ctx, a.Outbox(), tipPhone)
	if err != nil {
		t.Fatal(err)
	}
	wrong := fmt.Sprintf("%06d", (atoi(code)+517)%1000000)
	add("wrong OTP code", wrong)
	if r, _ := citizen.Do(ctx, b.URL(), "POST", "/api/v1/auth/otp/verify", nil, map[string]string{"phone": tipPhone, "code": wrong}); r.Status == 200 {
		t.Fatal("a wrong code signed in")
	}
	// The right code, verified on the other node.
	r, err := citizen.Do(ctx, b.URL(), "POST", "/api/v1/auth/otp/verify", nil, map[string]string{"phone": tipPhone, "code": code})
	if err != nil || r.Status != 200 {
		t.Fatalf("verify on B: %v %v", r, err)
	}
	var sess struct{ Token string }
	mustJSON(t, r, &sess)
	citizen.Token = sess.Token
	add("OTP code", code)
	add("citizen session token", sess.Token)

	// Officers: a wrong password, then real logins.
	desk := NewUser("dispatcher", LoopbackIP(31))
	center := centerOf(t, desk, b.URL(), pointX)
	const wrongPass = "Wr0ng-passw0rd-7781"
	add("wrong password", wrongPass)
	if r, _ := desk.Do(ctx, b.URL(), "POST", "/api/v1/auth/login", nil, map[string]string{"username": "d" + center, "password": wrongPass}); r.Status == 200 {
		t.Fatal("a wrong password signed in")
	}
	officers := map[string]*User{}
	for i, name := range []string{"d" + center, "h" + center, "s" + center[:4] + "00", "admin"} {
		u := NewUser(name, LoopbackIP(32+i))
		if err := u.SignInOfficer(ctx, c.Nodes[i%2].URL(), name); err != nil {
			t.Fatal(err)
		}
		add(name+" session token", u.Token)
		officers[name] = u
	}
	desk = officers["d"+center]

	// An alarm with chat both ways, across the nodes.
	r, err = citizen.Do(ctx, a.URL(), "POST", "/api/v1/alarms", nil, map[string]any{"kind": "text", "location": pointX, "text": "家里进了小偷"})
	if err != nil || r.Status != http.StatusCreated {
		t.Fatalf("raise: %v %v", r, err)
	}
	var al struct{ ID string }
	mustJSON(t, r, &al)
	steps := []struct {
		u            *User
		base, method string
		path         string
		body         any
	}{
		{desk, b.URL(), "POST", "/api/v1/alarms/" + al.ID + "/answer", nil},
		{desk, b.URL(), "POST", "/api/v1/alarms/" + al.ID + "/messages", map[string]string{"text": "请说明位置"}},
		{citizen, a.URL(), "POST", "/api/v1/alarms/" + al.ID + "/messages", map[string]string{"text": "三楼"}},
		{citizen, a.URL(), "GET", "/api/v1/alarms/" + al.ID + "/messages", nil},
		{desk, b.URL(), "POST", "/api/v1/alarms/" + al.ID + "/end", map[string]string{"disposition": "resolved"}},
	}
	for _, s := range steps {
		if r, err := s.u.Do(ctx, s.base, s.method, s.path, nil, s.body); err != nil || r.Status >= 300 {
			t.Fatalf("%s %s: %v %v", s.method, s.path, r, err)
		}
	}
	// The console feed with the token in the query (WebSocket only).
	if f, err := desk.OpenFeed(ctx, a.URL(), "/api/v1/alarms/feed"); err == nil {
		<-f.C
		f.Close()
	}

	// A tip with the tipster's name; the supervisor assigns it, the handler
	// accepts and reveals the identity.
	const tipName = "甄秘密"
	add("tipster name", tipName)
	add("tipster phone", tipPhone)
	add("tipster phone (national)", strings.TrimPrefix(tipPhone, "+86"))
	r, err = citizen.Do(ctx, a.URL(), "POST", "/api/v1/tips", nil, map[string]any{
		"category": "drugs", "description": "楼下仓库夜里有人制毒，气味刺鼻。", "position": pointX, "name": tipName})
	if err != nil || r.Status != http.StatusCreated {
		t.Fatalf("tip: %v %v", r, err)
	}
	var tip struct{ ID string }
	mustJSON(t, r, &tip)
	sup, handler := officers["s"+center[:4]+"00"], officers["h"+center]
	for _, s := range []struct {
		u    *User
		path string
		body any
	}{
		{sup, "/api/v1/tips/" + tip.ID + "/assign", map[string]string{"handler": "h" + center}},
		{handler, "/api/v1/tips/" + tip.ID + "/accept", nil},
		{handler, "/api/v1/tips/" + tip.ID + "/identity/reveal", map[string]string{"reason": "核实线索需联系举报人"}},
	} {
		r, err := s.u.Do(ctx, b.URL(), "POST", s.path, nil, s.body)
		if err != nil || r.Status >= 300 {
			t.Fatalf("POST %s: %v %v", s.path, r, err)
		}
		if strings.HasSuffix(s.path, "/reveal") && !bytes.Contains(r.Body, []byte(tipName)) {
			t.Fatalf("reveal did not return the name: %s", r)
		}
	}

	// Let asynchronous log lines (feed shutdown, presence) land.
	time.Sleep(300 * time.Millisecond)
	var found []string
	for _, n := range c.Nodes {
		logs := n.Logs()
		if len(logs) < 1000 {
			t.Fatalf("%s logged almost nothing (%d bytes): is debug logging on?", n.Name, len(logs))
		}
		for v, what := range secrets {
			re := regexp.MustCompile(`(^|[^0-9A-Za-z])` + regexp.QuoteMeta(v) + `($|[^0-9A-Za-z])`)
			for _, line := range bytes.Split(logs, []byte("\n")) {
				if re.Match(line) {
					found = append(found, fmt.Sprintf("%s: %s in log line: %s", n.Name, what, truncate(string(line), 400)))
				}
			}
		}
	}
	for _, f := range found {
		t.Error(f)
	}
	t.Logf("searched %d secrets in %d bytes of debug logs", len(secrets), len(c.Logs()))
}
