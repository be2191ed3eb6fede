package missing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"open110/app"
	"open110/platform/db"
	"open110/platform/db/dbtest"
	"open110/platform/sms"
)

type node struct {
	t *testing.T
	a *app.App
}

func (n node) call(method, path, token, ctype string, body io.Reader) (int, map[string]any) {
	n.t.Helper()
	req, _ := http.NewRequest(method, n.a.URL+path, body)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		n.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return res.StatusCode, out
}

func (n node) json(method, path, token string, v any) (int, map[string]any) {
	n.t.Helper()
	var body io.Reader
	if v != nil {
		b, _ := json.Marshal(v)
		body = bytes.NewReader(b)
	}
	return n.call(method, path, token, "application/json", body)
}

func errCode(m map[string]any) string {
	if e, ok := m["error"].(map[string]any); ok {
		return e["code"].(string)
	}
	return ""
}

var codeRE = regexp.MustCompile(`\d{6}`)

func (n node) citizen(phone string) string {
	n.t.Helper()
	if st, _ := n.json("POST", "/api/v1/auth/otp", "", map[string]string{"phone": phone}); st != 202 {
		n.t.Fatalf("otp %d", st)
	}
	msgs, err := sms.ReadOutbox(filepath.Join(n.a.Cfg.Data, "sms-outbox.jsonl"))
	if err != nil {
		n.t.Fatal(err)
	}
	code := codeRE.FindString(msgs[len(msgs)-1].Text)
	st, out := n.json("POST", "/api/v1/auth/otp/verify", "", map[string]string{"phone": phone, "code": code})
	if st != 200 {
		n.t.Fatalf("verify %d %v", st, out)
	}
	return out["token"].(string)
}

func (n node) officer(user string) string {
	n.t.Helper()
	st, out := n.json("POST", "/api/v1/auth/login", "", map[string]string{"username": user, "password": "open110-demo"})
	if st != 200 {
		n.t.Fatalf("login %s: %d %v", user, st, out)
	}
	return out["token"].(string)
}

// TestThroughTheNode runs the workflow over HTTP on the real node (both
// backends): authorisation at every endpoint, strict decoding, the media
// upload, a multipart sighting signed out delivered live to the centre's
// WebSocket, the alert inbox.
func TestThroughTheNode(t *testing.T) {
	dbtest.Each(t, nil, func(t *testing.T, d *db.DB) {
		url := ""
		if d.Dialect == db.Postgres {
			url = dbtest.URL(t, db.Postgres)
		}
		a, err := app.Start(context.Background(), app.Config{Data: t.TempDir(), Addr: "127.0.0.1:0", Demo: true, DB: url}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		n := node{t, a}
		fam := n.citizen("13800138001")
		nb := n.citizen("13800138002")
		h := n.officer("h130102")
		other := n.officer("h130200")
		disp := n.officer("d130102")

		// Opt in before publication (a county).
		if st, out := n.json("PUT", "/api/v1/missing/alerts", nb, map[string]any{"county": "130104"}); st != 200 || out["enabled"] != true {
			t.Fatalf("opt in: %d %v", st, out)
		}
		sub := map[string]any{
			"person":    map[string]any{"name": "李小红", "sex": "female", "age": 6, "clothing": "黄色连衣裙"},
			"last_seen": map[string]any{"at": time.Now().Add(-20 * time.Minute).UTC().Format(time.RFC3339), "position": map[string]any{"lat": 38.047, "lng": 114.52}, "place": "长安公园东门"},
			"police":    map[string]any{"unit": "130102", "phone": "0311-86688110", "case_number": "A130102000000" + time.Now().Format("200601") + "0007"},
			"initiator": map[string]any{"relation": "parent"},
		}
		for _, tc := range []struct {
			name, token string
			body        any
			status      int
			code        string
		}{
			{"signed out", "", sub, 401, "unauthorized"},
			{"officer", h, sub, 403, "forbidden"},
			{"unknown field", fam, map[string]any{"person": map[string]any{"nickname": "x"}}, 400, "unknown_field"},
			{"wrong type", fam, map[string]any{"person": map[string]any{"age": "six"}}, 400, "invalid_type"},
		} {
			if st, out := n.json("POST", "/api/v1/missing/notices", tc.token, tc.body); st != tc.status || errCode(out) != tc.code {
				t.Fatalf("%s: %d %v", tc.name, st, out)
			}
		}
		st, out := n.json("POST", "/api/v1/missing/notices", fam, sub)
		if st != 201 {
			t.Fatalf("submit: %d %v", st, out)
		}
		id := out["id"].(string)
		png := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 64)...)
		// The header says JPEG; the content decides.
		if st, out := n.call("POST", "/api/v1/missing/notices/"+id+"/media", fam, "image/jpeg", bytes.NewReader(png)); st != 201 || out["content_type"] != "image/png" {
			t.Fatalf("media: %d %v", st, out)
		}
		if st, out := n.call("POST", "/api/v1/missing/notices/"+id+"/media", fam, "image/png", strings.NewReader("MZ\x90\x00 an exe")); st != 415 || errCode(out) != "unsupported_media" {
			t.Fatalf("exe as media: %d %v", st, out)
		}
		for path, tok := range map[string]string{"/api/v1/missing/notices/" + id: other, "/api/v1/missing/public/" + id: ""} {
			if st, out := n.json("GET", path, tok, nil); st != 404 || errCode(out) != "notice_not_found" {
				t.Fatalf("GET %s before publication: %d %v", path, st, out)
			}
		}
		if st, _ := n.json("GET", "/api/v1/missing/notices/"+id, "", nil); st != 401 {
			t.Fatalf("signed out read: %d", st)
		}
		if st, out := n.json("POST", "/api/v1/missing/notices/"+id+"/verify", disp, nil); st != 403 {
			t.Fatalf("dispatcher verifies: %d %v", st, out)
		}
		if st, out := n.json("GET", "/api/v1/missing/notices?state=submitted", h, nil); st != 200 || len(out["notices"].([]any)) != 1 {
			t.Fatalf("queue: %d %v", st, out)
		}

		// The console's live feed, from now.
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		ws, _, err := websocket.Dial(ctx, strings.Replace(a.URL, "http", "ws", 1)+"/api/v1/missing/live?access_token="+h, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.CloseNow()
		read := func() map[string]any {
			_, b, err := ws.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			json.Unmarshal(b, &m)
			return m
		}
		if m := read(); m["type"] != "hello" {
			t.Fatalf("hello: %v", m)
		}

		if st, out := n.json("POST", "/api/v1/missing/notices/"+id+"/verify", h, map[string]any{"note": "已电话联系发起人"}); st != 200 || out["state"] != "verifying" {
			t.Fatalf("verify: %d %v", st, out)
		}
		if st, out := n.json("POST", "/api/v1/missing/notices/"+id+"/publish", h, map[string]any{"checks": map[string]any{"unit_confirmed": true}}); st != 422 || errCode(out) != "checks_incomplete" {
			t.Fatalf("publish without checks: %d %v", st, out)
		}
		st, out = n.json("POST", "/api/v1/missing/notices/"+id+"/publish", h, map[string]any{"checks": map[string]any{"unit_confirmed": true, "case_number_confirmed": true, "initiator_contacted": true}})
		if st != 200 || out["state"] != "published" {
			t.Fatalf("publish: %d %v", st, out)
		}
		// Signed out: the feed and the notice, without the family's phone.
		st, out = n.json("GET", "/api/v1/missing/public?city=130100", "", nil)
		if st != 200 || len(out["items"].([]any)) != 1 {
			t.Fatalf("feed: %d %v", st, out)
		}
		if st, out := n.json("GET", "/api/v1/missing/public?lat=38&lng=114.5&within_km=abc", "", nil); st != 400 || errCode(out) != "invalid_radius" {
			t.Fatalf("feed bad radius: %d %v", st, out)
		}
		st, out = n.json("GET", "/api/v1/missing/public/"+id, "", nil)
		b, _ := json.Marshal(out)
		if st != 200 || strings.Contains(string(b), "13800138001") || !strings.Contains(string(b), "0311-86688110") {
			t.Fatalf("public notice: %d %s", st, b)
		}
		media := out["media"].([]any)[0].(map[string]any)["url"].(string)
		res, err := http.Get(a.URL + media)
		if err != nil || res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" {
			t.Fatalf("public media: %v %v", res, err)
		}
		res.Body.Close()

		// A signed-out sighting with a photo (multipart).
		var mp bytes.Buffer
		w := multipart.NewWriter(&mp)
		jw, _ := w.CreateFormField("sighting")
		jw.Write([]byte(`{"text":"在公交站看到一个穿黄裙子的小女孩","position":{"lat":38.05,"lng":114.53}}`))
		hdr := textproto.MIMEHeader{}
		hdr.Set("Content-Disposition", `form-data; name="photo"; filename="p.png"`)
		hdr.Set("Content-Type", "image/png")
		pw, _ := w.CreatePart(hdr)
		pw.Write(png)
		w.Close()
		st, out = n.call("POST", "/api/v1/missing/public/"+id+"/sightings", "", w.FormDataContentType(), &mp)
		if st != 201 || out["anonymous"] != true {
			t.Fatalf("sighting: %d %v", st, out)
		}
		// It reaches the centre live.
		for {
			m := read()
			if ev, _ := m["event"].(map[string]any); ev != nil && ev["kind"] == "sighting" {
				break
			}
		}
		st, out = n.json("GET", "/api/v1/missing/notices/"+id+"/sightings", h, nil)
		if st != 200 || len(out["sightings"].([]any)) != 1 {
			t.Fatalf("sightings: %d %v", st, out)
		}
		sg := out["sightings"].([]any)[0].(map[string]any)
		if res, err := http.Get(a.URL + sg["photo_url"].(string)); err != nil || res.StatusCode != 401 {
			t.Fatalf("sighting photo signed out: %v %v", res.StatusCode, err)
		}
		if st, _ := n.json("GET", "/api/v1/missing/notices/"+id+"/sightings", other, nil); st != 404 {
			t.Fatalf("other centre sightings: %d", st)
		}
		if st, _ := n.json("GET", "/api/v1/missing/notices/"+id+"/sightings", fam, nil); st != 403 {
			t.Fatalf("family reads sightings: %d", st)
		}
		// The neighbour's inbox holds the alert.
		st, out = n.json("GET", "/api/v1/missing/inbox", nb, nil)
		if st != 200 || out["unread"].(float64) != 1 {
			t.Fatalf("inbox: %d %v", st, out)
		}
		if st, out := n.json("POST", "/api/v1/missing/notices/"+id+"/close", h, map[string]any{"outcome": "found"}); st != 200 || out["state"] != "closed" {
			t.Fatalf("close: %d %v", st, out)
		}
		st, out = n.json("GET", "/api/v1/missing/inbox", nb, nil)
		if st != 200 || out["unread"].(float64) != 2 {
			t.Fatalf("inbox after closure: %d %v", st, out)
		}
		st, out = n.json("GET", "/api/v1/openapi.json", "", nil)
		if _, ok := out["paths"].(map[string]any)["/api/v1/missing/public"]; st != 200 || !ok {
			t.Fatal("openapi lacks the missing paths")
		}
	})
}
