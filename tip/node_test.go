package tip_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"open110/account"
	"open110/app"
	"open110/platform/db"
	"open110/platform/db/dbtest"
	"open110/platform/sms"
	"open110/tip"
)

// node is a running open110 for a test.
type node struct {
	t *testing.T
	a *app.App
}

func startNode(t *testing.T, d *db.DB) *node {
	t.Helper()
	url := ""
	if d != nil && d.Dialect == db.Postgres {
		url = dbtest.URL(t, db.Postgres)
	}
	a, err := app.Start(context.Background(), app.Config{Data: t.TempDir(), Addr: "127.0.0.1:0", Demo: true, DB: url}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return &node{t: t, a: a}
}

type res struct {
	status int
	body   map[string]any
	raw    string
	header http.Header
}

func (r res) code() string {
	if e, ok := r.body["error"].(map[string]any); ok {
		s, _ := e["code"].(string)
		return s
	}
	return ""
}

func (n *node) do(method, path, token string, body any, hdr ...string) res {
	n.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd, ct = strings.NewReader(b), "application/json"
	default:
		j, _ := json.Marshal(b)
		rd, ct = bytes.NewReader(j), "application/json"
	}
	req, _ := http.NewRequest(method, n.a.URL+path, rd)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		n.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	out := res{status: resp.StatusCode, raw: string(b), header: resp.Header}
	_ = json.Unmarshal(b, &out.body)
	return out
}

func (n *node) must(want int, r res) res {
	n.t.Helper()
	if r.status != want {
		n.t.Fatalf("status %d, want %d: %s", r.status, want, r.raw)
	}
	return r
}

var codeRE = regexp.MustCompile(`\d{6}`)

func (n *node) citizen(phone string) string {
	n.t.Helper()
	n.must(202, n.do("POST", "/api/v1/auth/otp", "", map[string]string{"phone": phone}))
	msgs, err := sms.ReadOutbox(filepath.Join(n.a.Cfg.Data, "sms-outbox.jsonl"))
	if err != nil {
		n.t.Fatal(err)
	}
	code := codeRE.FindString(msgs[len(msgs)-1].Text)
	return n.must(200, n.do("POST", "/api/v1/auth/otp/verify", "", map[string]string{"phone": phone, "code": code})).body["token"].(string)
}

func (n *node) officer(username string) string {
	n.t.Helper()
	return n.must(200, n.do("POST", "/api/v1/auth/login", "", map[string]string{"username": username, "password": account.DemoPassword})).body["token"].(string)
}

// jpeg is a tiny body that sniffs as JPEG.
func jpeg(seed string) []byte {
	return append([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0}, []byte("open110 test photo "+seed)...)
}

func hexSHA(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// capture asks for a token and uploads body as a capture at lat,lng.
func (n *node) capture(tok string, body []byte, ctype string, lat, lng float64) res {
	n.t.Helper()
	ct := n.must(201, n.do("POST", "/api/v1/tips/capture-tokens", tok, nil)).body["token"].(string)
	return n.do("POST", "/api/v1/tips/media", tok, body, "Content-Type", ctype, "X-Capture-Token", ct,
		"X-Capture-Time", time.Now().UTC().Format(time.RFC3339Nano), "X-Capture-Position", fmt.Sprintf("%f,%f,12", lat, lng),
		"X-Content-SHA256", hexSHA(body))
}

const (
	tipsterPhone = "13912345678"
	tipsterName  = "韩梅梅举报人"
	lat, lng     = 38.0428, 114.5149 // 石家庄市长安区
)

// TestTipsterNeverExposed runs the whole tip and reward flow through the
// real node on both backends, then calls every tip and reward endpoint the
// OpenAPI document lists, as every role, and checks that the tipster's
// phone and name appear in no response except the assigned handler's
// reveal — and that the reveal is on the record with who, when and IPs.
func TestTipsterNeverExposed(t *testing.T) {
	dbtest.Each(t, nil, func(t *testing.T, d *db.DB) {
		n := startNode(t, d)
		route := n.must(200, n.do("GET", fmt.Sprintf("/api/v1/route?lat=%f&lng=%f", lat, lng), "", nil)).body
		center := route["center"].(map[string]any)["code"].(string)
		city := route["city"].(map[string]any)["code"].(string)
		if _, err := n.a.Accounts.CreateOfficer(context.Background(), n.a.DB, account.NewOfficer{Username: "h2" + center, Name: "第二处理民警",
			Role: account.Handler, Center: center, Password: "second-handler-pw"}); err != nil {
			t.Fatal(err)
		}
		tipster := n.citizen(tipsterPhone)
		other := n.citizen("13700000001")
		handler := n.officer("h" + center)
		handler2 := n.must(200, n.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "h2" + center, "password": "second-handler-pw"})).body["token"].(string)
		super := n.officer("s" + city)
		admin := n.officer("admin")
		dispatcher := n.officer("d" + center)
		elsewhere := n.officer("h130104")

		photo := jpeg("a")
		m := n.must(201, n.capture(tipster, photo, "image/jpeg", lat+0.001, lng)).body
		if m["sha256"] != hexSHA(photo) || m["kind"] != "photo" || m["mime"] != "image/jpeg" {
			t.Fatalf("media: %v", m)
		}
		mediaID := m["id"].(string)
		tp := n.must(201, n.do("POST", "/api/v1/tips", tipster, map[string]any{
			"category": "drugs", "description": "小区地下室疑似有人制毒，夜间有刺鼻气味。", "position": map[string]any{"lat": lat, "lng": lng, "accuracy_m": 15},
			"media": []string{mediaID}, "name": tipsterName,
		})).body
		tipID := tp["id"].(string)
		if tp["identity"] != "sealed" || tp["center"].(map[string]any)["code"] != center || tp["state"] != "submitted" {
			t.Fatalf("tip: %v", tp)
		}
		anon := n.must(201, n.do("POST", "/api/v1/tips", other, map[string]any{
			"category": "pollution", "description": "河边工厂夜里偷排污水。", "position": map[string]any{"lat": lat, "lng": lng}, "anonymous": true,
		})).body
		anonID := anon["id"].(string)

		// Queue and visibility.
		q := n.must(200, n.do("GET", "/api/v1/tips", handler, nil)).body["tips"].([]any)
		if len(q) != 2 {
			t.Fatalf("handler queue: %v", q)
		}
		n.must(200, n.do("GET", "/api/v1/tips?center="+center, super, nil))
		if r := n.do("GET", "/api/v1/tips/"+tipID, elsewhere, nil); r.code() != "tip_not_found" {
			t.Fatalf("other centre opened the tip: %s", r.raw)
		}
		if r := n.do("GET", "/api/v1/tips/"+tipID, dispatcher, nil); r.code() != "tip_not_found" {
			t.Fatalf("dispatcher opened the tip: %s", r.raw)
		}
		if r := n.do("GET", "/api/v1/tips/"+tipID, other, nil); r.code() != "tip_not_found" {
			t.Fatalf("another citizen opened the tip: %s", r.raw)
		}

		// Assignment by the city supervisor, to a handler of the centre only.
		if r := n.do("POST", "/api/v1/tips/"+tipID+"/assign", handler, map[string]string{"handler": "h" + center}); r.status != 403 {
			t.Fatalf("handler assigned: %s", r.raw)
		}
		if r := n.do("POST", "/api/v1/tips/"+tipID+"/assign", super, map[string]string{"handler": "h130104"}); r.code() != "invalid_handler" {
			t.Fatalf("foreign handler: %s", r.raw)
		}
		n.must(200, n.do("POST", "/api/v1/tips/"+tipID+"/assign", super, map[string]string{"handler": "h" + center}))
		n.must(200, n.do("POST", "/api/v1/tips/"+tipID+"/accept", handler, nil))
		n.must(200, n.do("POST", "/api/v1/tips/"+anonID+"/assign", super, map[string]string{"handler": "h" + center}))

		// Reveal: only the assigned handler, with a reason.
		if r := n.do("POST", "/api/v1/tips/"+tipID+"/identity/reveal", handler, map[string]string{"reason": ""}); r.code() != "reason_required" {
			t.Fatalf("no reason: %s", r.raw)
		}
		for who, tok := range map[string]string{"second handler": handler2, "supervisor": super} {
			if r := n.do("POST", "/api/v1/tips/"+tipID+"/identity/reveal", tok, map[string]string{"reason": "想看看是谁举报的"}); r.code() != "not_assigned_handler" {
				t.Fatalf("%s revealed: %s", who, r.raw)
			}
		}
		rev := n.must(200, n.do("POST", "/api/v1/tips/"+tipID+"/identity/reveal", handler, map[string]string{"reason": "需要联系举报人核实制毒地点"}))
		if rev.body["phone"] != "+86"+tipsterPhone || rev.body["name"] != tipsterName {
			t.Fatalf("reveal: %s", rev.raw)
		}
		if r := n.do("POST", "/api/v1/tips/"+anonID+"/identity/reveal", handler, map[string]string{"reason": "需要联系举报人核实"}); r.code() != "tip_anonymous" {
			t.Fatalf("anonymous reveal: %s", r.raw)
		}

		// Dialogue, both ways, and the tipster's view of the looks.
		n.must(201, n.do("POST", "/api/v1/tips/"+tipID+"/messages", handler, map[string]string{"text": "请问具体是几号楼？"}))
		n.must(201, n.do("POST", "/api/v1/tips/"+tipID+"/messages", tipster, map[string]string{"text": "3号楼地下室。"}))
		if r := n.do("POST", "/api/v1/tips/"+tipID+"/messages", handler2, map[string]string{"text": "hi"}); r.code() != "not_assigned_handler" {
			t.Fatalf("second handler wrote: %s", r.raw)
		}
		n.must(200, n.do("GET", "/api/v1/tips/"+tipID, handler, nil))
		n.must(200, n.do("GET", "/api/v1/tips/"+tipID+"/media/"+mediaID, handler, nil))
		mine := n.must(200, n.do("GET", "/api/v1/tips/"+tipID, tipster, nil)).body
		views := mine["views"].([]any)
		whats := map[string]bool{}
		for _, v := range views {
			whats[v.(map[string]any)["what"].(string)] = true
		}
		if !whats["opened"] || !whats["media"] || !whats["identity"] || strings.Contains(fmt.Sprint(views), "officer") {
			t.Fatalf("tipster's views: %v", views)
		}
		if len(mine["messages"].([]any)) != 2 {
			t.Fatalf("messages: %v", mine["messages"])
		}

		// The access log: who, when, from which IPs, why — for supervisors only.
		if r := n.do("GET", "/api/v1/tips/"+tipID+"/access-log", handler, nil); r.status != 403 {
			t.Fatalf("handler read the access log: %s", r.raw)
		}
		log := n.must(200, n.do("GET", "/api/v1/tips/"+tipID+"/access-log", super, nil)).body["entries"].([]any)
		var reveal, denied map[string]any
		for _, e := range log {
			e := e.(map[string]any)
			switch e["action"] {
			case "tip.identity.reveal":
				reveal = e
			case "tip.identity.denied":
				denied = e
			}
		}
		if reveal == nil || reveal["actor"] != "officer:h"+center || reveal["actor_ip"] != "127.0.0.1" || reveal["request_ip"] != "127.0.0.1" ||
			reveal["reason"] != "需要联系举报人核实制毒地点" || reveal["at"] == "" || denied == nil {
			t.Fatalf("access log: %v", log)
		}

		// Export verifies offline.
		exp := n.do("GET", "/api/v1/tips/"+tipID+"/export", handler, nil)
		if exp.status != 200 || exp.header.Get("Content-Type") != "application/zip" {
			t.Fatalf("export: %d %s", exp.status, exp.raw)
		}
		var report bytes.Buffer
		if err := tip.VerifyExportBytes(context.Background(), []byte(exp.raw), &report); err != nil {
			t.Fatalf("verify: %v\n%s", err, report.String())
		}
		if res, err := app.VerifyAudit(context.Background(), n.a.Cfg); err != nil || !res.OK {
			t.Fatalf("audit chain: %+v %v", res, err)
		}

		// Rewards: publish, answer anonymously, reward, redeem by code.
		task := n.must(201, n.do("POST", "/api/v1/rewards", handler, map[string]any{"title": "悬赏通缉盗窃嫌疑人", "description": "提供有效线索者奖励。",
			"amount_yuan": 5000, "area": "长安区", "valid_until": time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339)})).body
		taskID := task["id"].(string)
		pic := jpeg("poster")
		n.must(201, n.do("POST", "/api/v1/rewards/"+taskID+"/media", handler, pic, "Content-Type", "image/jpeg"))
		if r := n.do("POST", "/api/v1/rewards/"+taskID+"/media", handler, []byte("GIF89a........"), "Content-Type", "image/jpeg"); r.code() != "unsupported_media" {
			t.Fatalf("gif: %s", r.raw)
		}
		list := n.must(200, n.do("GET", "/api/v1/rewards", "", nil)).body["tasks"].([]any)
		if len(list) != 1 || list[0].(map[string]any)["created_by"] != nil {
			t.Fatalf("public list: %v", list)
		}
		clue := n.must(201, n.do("POST", "/api/v1/rewards/"+taskID+"/clues", tipster, map[string]any{"text": "嫌疑人常在火车站出没", "anonymous": true})).body
		clueID, code := clue["clue"].(string), clue["claim_code"].(string)
		if len(code) != 6 {
			t.Fatalf("claim code %q", code)
		}
		if r := n.do("POST", "/api/v1/rewards/claims/redeem", "", map[string]string{"clue": clueID, "code": code}); r.code() != "not_rewarded" {
			t.Fatalf("early redeem: %s", r.raw)
		}
		n.must(200, n.do("POST", "/api/v1/rewards/"+taskID+"/clues/"+clueID+"/reward", handler, map[string]any{"note": "线索有效"}))
		if r := n.do("POST", "/api/v1/rewards/claims/redeem", "", map[string]string{"clue": clueID, "code": "000000"}); r.code() != "claim_invalid" && code != "000000" {
			t.Fatalf("wrong code: %s", r.raw)
		}
		red := n.must(200, n.do("POST", "/api/v1/rewards/claims/redeem", "", map[string]string{"clue": clueID, "code": code})).body
		if red["state"] != "redeemed" || red["reward_yuan"] != float64(5000) || red["receipt"] == "" {
			t.Fatalf("redeem: %v", red)
		}
		if r := n.do("POST", "/api/v1/rewards/claims/redeem", "", map[string]string{"clue": clueID, "code": code}); r.code() != "already_redeemed" {
			t.Fatalf("second redeem: %s", r.raw)
		}

		// The sweep: every tip and reward endpoint, every role.
		tokens := map[string]string{"signed-out": "", "tipster": tipster, "other citizen": other, "handler": handler, "second handler": handler2,
			"supervisor": super, "admin": admin, "dispatcher": dispatcher, "other centre": elsewhere}
		ids := map[string]string{"{id}": tipID, "{mid}": mediaID, "{cid}": clueID, "{sha}": hexSHA(pic)}
		var doc struct {
			Paths map[string]map[string]any `json:"paths"`
		}
		if err := json.Unmarshal([]byte(n.must(200, n.do("GET", "/api/v1/openapi.json", "", nil)).raw), &doc); err != nil {
			t.Fatal(err)
		}
		var paths []string
		for p := range doc.Paths {
			if strings.HasPrefix(p, "/api/v1/tips") || strings.HasPrefix(p, "/api/v1/rewards") {
				paths = append(paths, p)
			}
		}
		sort.Strings(paths)
		if len(paths) < 20 {
			t.Fatalf("only %d tip/reward paths in the OpenAPI document", len(paths))
		}
		leaks := []string{tipsterPhone, tipsterName, "+86" + tipsterPhone, tipsterPhone[3:]}
		calls := 0
		for _, p := range paths {
			for method := range doc.Paths[p] {
				for who, tok := range tokens {
					for _, target := range []string{tipID, anonID} {
						path := p
						ids["{id}"] = target
						if strings.HasPrefix(p, "/api/v1/rewards") {
							ids["{id}"] = taskID
						}
						for k, v := range ids {
							path = strings.ReplaceAll(path, k, v)
						}
						body := map[string]any{"reason": "例行核查举报内容", "text": "测试消息", "handler": "h" + center, "result": "verified", "clue": clueID, "code": code}
						if strings.HasSuffix(p, "/media") && method == "post" {
							body = nil
						}
						var r res
						if body == nil {
							r = n.do(strings.ToUpper(method), path, tok, jpeg("sweep"), "Content-Type", "image/jpeg")
						} else {
							b, _ := json.Marshal(pruneFor(p, body))
							r = n.do(strings.ToUpper(method), path, tok, string(b))
						}
						calls++
						if r.status >= 500 {
							t.Errorf("%s %s as %s: %d %s", method, path, who, r.status, r.raw)
						}
						if p == "/api/v1/tips/{id}/identity/reveal" && who == "handler" && target == tipID {
							continue // the one place the identity may appear
						}
						for _, leak := range leaks {
							if strings.Contains(r.raw, leak) {
								t.Errorf("%s %s as %s: response holds the tipster's %q: %s", method, path, who, leak, r.raw)
							}
						}
					}
				}
			}
		}
		t.Logf("swept %d calls over %d paths", calls, len(paths))
	})
}

// pruneFor keeps the body fields an endpoint accepts (the strict decoder
// refuses unknown fields, which would make the sweep test only errors).
func pruneFor(path string, b map[string]any) map[string]any {
	keep := map[string][]string{
		"/api/v1/tips/{id}/identity/reveal":       {"reason"},
		"/api/v1/tips/{id}/messages":              {"text"},
		"/api/v1/tips/{id}/assign":                {"handler"},
		"/api/v1/tips/{id}/close":                 {"result"},
		"/api/v1/rewards/claims/check":            {"clue", "code"},
		"/api/v1/rewards/claims/redeem":           {"clue", "code"},
		"/api/v1/rewards/{id}/clues":              {"text"},
		"/api/v1/rewards/{id}/clues/{cid}/reward": {},
		"/api/v1/tips":                            {},
		"/api/v1/rewards":                         {},
		"/api/v1/tips/capture-tokens":             {},
		"/api/v1/tips/{id}/accept":                {},
		"/api/v1/rewards/{id}/close":              {},
	}[path]
	out := map[string]any{}
	for _, k := range keep {
		out[k] = b[k]
	}
	return out
}
