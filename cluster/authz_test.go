package cluster

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"open110/app"
)

var authzUpdate = flag.Bool("authz-update", false, "TestAuthzMatrix: rewrite testdata/authz.txt from what the server answers (review the diff!)")

// The kinds of caller, in the table's column order.
var callers = []string{"anon", "citA", "citB", "guard", "dispX", "dispY", "handler", "super", "admin"}

// Outcome letters in testdata/authz.txt:
//
//	U  401 (not signed in)          D  403 or 404 (denied, or hidden)
//	A  anything else below 500: allowed past authorisation (2xx, or a
//	   400/409/422/429 about the request or the object's state)
//	-  not checked for this caller (the answer depends on data the test
//	   cannot set up, e.g. a recording segment)
//
// A 5xx is always a failure.
func outcome(status int) byte {
	switch {
	case status == 401:
		return 'U'
	case status == 403 || status == 404:
		return 'D'
	case status >= 500:
		return 'E'
	case status == 405:
		return 'M'
	}
	return 'A'
}

// lastRows run after every other row: they end the caller's session or
// change what later rows would see.
// (value: their order).
var lastRows = map[string]int{
	"POST /api/v1/alarms/{id}/end":             1,
	"POST /api/v1/alarms/{id}/release":         2,
	"POST /api/v1/alarms/{id}/cancel":          2,
	"POST /api/v1/alarms/{id}/transfer":        2,
	"POST /api/v1/trips/{id}/end":              3,
	"POST /api/v1/missing/notices/{id}/reject": 3,
	"POST /api/v1/missing/notices/{id}/close":  3,
	"POST /api/v1/guardians/{id}/decline":      4,
	"DELETE /api/v1/guardians/{id}":            5,
	"POST /api/v1/admin/retention/run":         6,
	"POST /api/v1/mydata/deletion":             7,
	"POST /api/v1/auth/logout":                 8,
}

// bodies are valid request bodies for rows where "{}" would be refused by
// validation before the handler decides who may call it (which would
// hide the authorisation answer behind a 400). Other writes get "{}".
var bodies = map[string]any{
	"POST /api/v1/alarms/{id}/messages":          map[string]string{"text": "authz"},
	"POST /api/v1/alarms/{id}/positions":         pointX,
	"POST /api/v1/alarms/{id}/end":               map[string]string{"disposition": "resolved"},
	"POST /api/v1/tips/{id}/messages":            map[string]string{"text": "authz"},
	"POST /api/v1/alarms/{id}/transfer":          map[string]string{"center": "130200", "note": "authz"},
	"POST /api/v1/alarms/{id}/incident/units":    map[string]string{"unit": "巡逻一组"},
	"POST /api/v1/missing/notices/{id}/progress": map[string]string{"text": "authz 进展"},
	"POST /api/v1/missing/notices/{id}/reject":   map[string]string{"reason": "authz 信息不实"},
	"POST /api/v1/missing/notices/{id}/close":    map[string]string{"outcome": "found", "notice": "authz 已找到"},
	"POST /api/v1/trips/{id}/points":             map[string]any{"points": []any{map[string]any{"lat": 38.04, "lng": 114.51, "accuracy_m": 10, "at": time.Now().UTC().Format(time.RFC3339)}}},
}

// matrixBody is the body the matrix sends with op: bodies[op], else "{}"
// for writes, else none.
func matrixBody(op string) any {
	if b, ok := bodies[op]; ok {
		return b
	}
	switch method, _, _ := strings.Cut(op, " "); method {
	case "POST", "PUT", "PATCH":
		return "{}"
	}
	return nil
}

// TestAuthzMatrix calls every operation in /api/v1/openapi.json as every
// kind of caller — anonymous, citizen A (who owns the objects), citizen B,
// A's guardian, a dispatcher of A's centre (X) and of another centre (Y),
// a handling officer and a supervisor of X, and the province admin —
// against objects A owns (an alarm, a tip, a guardian link and trip, a
// missing-person notice) and a reward task of centre X, and compares each
// answer with testdata/authz.txt. AUTHZ_DEBUG=<substring> logs the answers
// of the matching operations. An operation without a row, or a row
// without an operation, fails the test.
func TestAuthzMatrix(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	base, users, fx := startAuthz(t, ctx)
	ops := openAPIOps(t, base)

	table := readTable(t)
	var missing, stale, mismatches []string
	observed := map[string]string{}
	order := append([]string(nil), ops...)
	sort.SliceStable(order, func(i, j int) bool { return lastRows[order[i]] < lastRows[order[j]] })
	runOrder := []string{"anon", "citB", "dispY", "guard", "handler", "dispX", "super", "admin", "citA"}
	for _, op := range order {
		method, path, _ := strings.Cut(op, " ")
		url := fx.fill(path)
		got := make([]byte, len(callers))
		for _, who := range runOrder {
			r, err := users[who].Do(ctx, base, method, url, nil, matrixBody(op))
			if err != nil {
				t.Fatalf("%s as %s: %v", op, who, err)
			}
			col := indexOf(callers, who)
			got[col] = outcome(r.Status)
			if os.Getenv("AUTHZ_DEBUG") != "" && strings.Contains(op, os.Getenv("AUTHZ_DEBUG")) {
				t.Logf("%s as %s: %s", op, who, r)
			}
			if got[col] == 'E' || got[col] == 'M' {
				t.Errorf("%s as %s: %s", op, who, r)
			}
		}
		observed[op] = string(got)
		want, ok := table[op]
		if !ok {
			missing = append(missing, op)
			continue
		}
		for i := range got {
			if want[i] != '-' && want[i] != got[i] {
				mismatches = append(mismatches, fmt.Sprintf("%-60s want %s got %s (%s)", op, want, got, callers[i]))
				break
			}
		}
	}
	for op := range table {
		if indexOf(ops, op) < 0 {
			stale = append(stale, op)
		}
	}
	if *authzUpdate {
		writeTable(t, observed, table)
		return
	}
	sort.Strings(missing)
	sort.Strings(stale)
	for _, op := range missing {
		t.Errorf("no row in testdata/authz.txt for %s (observed %s): add one after deciding who may call it", op, observed[op])
	}
	for _, op := range stale {
		t.Errorf("testdata/authz.txt has a row for %s, which the OpenAPI document does not list", op)
	}
	for _, m := range mismatches {
		t.Error(m)
	}
	t.Logf("%d operations × %d callers checked", len(ops), len(callers))
}

// startAuthz starts a demo node (closed when t ends), signs in one user of
// each kind in callers and makes the fixtures they are called against.
func startAuthz(t *testing.T, ctx context.Context) (base string, users map[string]*User, fx fixtures) {
	t.Helper()
	data := t.TempDir()
	node, err := app.Start(ctx, app.Config{Data: data, Addr: "127.0.0.1:0", Demo: true, SMSSecret: "authz-sms-secret"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeNode(t, node) })
	base, outbox := node.URL, filepath.Join(data, "sms-outbox.jsonl")

	users = map[string]*User{"anon": NewUser("anon", LoopbackIP(400))}
	for i, ph := range map[string]string{"citA": phone(5001), "citB": phone(5002), "guard": phone(5003)} {
		u := NewUser(i, LoopbackIP(401+len(users)))
		if err := u.SignInCitizenAt(ctx, base, outbox, ph); err != nil {
			t.Fatal(err)
		}
		users[i] = u
	}
	x := centerOf(t, users["anon"], base, pointX)
	y := centerOf(t, users["anon"], base, pointY)
	for who, name := range map[string]string{"dispX": "d" + x, "dispY": "d" + y, "handler": "h" + x, "super": "s" + x[:4] + "00", "admin": "admin"} {
		u := NewUser(who, LoopbackIP(410+len(users)))
		if err := u.SignInOfficer(ctx, base, name); err != nil {
			t.Fatal(err)
		}
		users[who] = u
	}
	return base, users, makeFixtures(t, ctx, base, users, x)
}

// fixtures are the objects the matrix calls against, by path parameter.
type fixtures map[string]string

var paramRE = regexp.MustCompile(`\{([^}]+)\}`)

// fill replaces each {param} with the fixture for this path's prefix.
func (f fixtures) fill(path string) string {
	kind := ""
	for _, k := range []string{"alarms", "trips", "tips", "guardians", "missing/notices", "missing/public", "missing/sightings", "rewards", "admin/centers", "admin/officers", "jurisdictions", "dashboard", "media/links", "media/play", "profile/alarms"} {
		if strings.HasPrefix(path, "/api/v1/"+k+"/") {
			kind = k
		}
	}
	return paramRE.ReplaceAllStringFunc(path, func(m string) string {
		name := m[1 : len(m)-1]
		if v, ok := f[kind+"."+name]; ok {
			return v
		}
		if v, ok := f["*."+name]; ok {
			return v
		}
		return "unknown"
	})
}

func makeFixtures(t *testing.T, ctx context.Context, base string, u map[string]*User, x string) fixtures {
	t.Helper()
	f := fixtures{
		"*.sha": strings.Repeat("0", 64), "*.seq": "1", "*.unit": "unknown-unit", "*.media": "unknown-media",
		"*.mid": "unknown-media", "*.cid": "unknown-clue", "*.sid": "unknown-sighting", "*.token": "unknown-token",
		"*.ticket": "unknown-ticket", "*.chart": "answer_times",
		"admin/centers.code": x, "jurisdictions.code": x, "admin/officers.username": "h130103",
	}
	post := func(who, path string, body any) map[string]any {
		r, err := u[who].Do(ctx, base, "POST", path, nil, body)
		if err != nil || r.Status >= 300 {
			t.Logf("fixture %s as %s: %v %v (rows using it see a missing object)", path, who, r, err)
			return nil
		}
		var out map[string]any
		_ = json.Unmarshal(r.Body, &out)
		return out
	}
	id := func(m map[string]any) string {
		if s, ok := m["id"].(string); ok {
			return s
		}
		return "missing-fixture"
	}
	al := id(post("citA", "/api/v1/alarms", map[string]any{"kind": "text", "location": pointX, "text": "authz"}))
	f["alarms.id"], f["profile/alarms.id"] = al, al
	f["tips.id"] = id(post("citA", "/api/v1/tips", map[string]any{"category": "drugs", "description": "authz 测试线索", "position": pointX, "name": "甲"}))
	link := post("citA", "/api/v1/guardians", map[string]any{"phone": phone(5003), "default": true})
	f["guardians.id"] = id(link)
	if link != nil {
		post("guard", "/api/v1/guardians/"+id(link)+"/accept", nil)
	}
	f["trips.id"] = id(post("citA", "/api/v1/trips", map[string]any{"mode": "taxi", "note": "冀A12345"}))
	notice := post("citA", "/api/v1/missing/notices", map[string]any{
		"person":    map[string]any{"name": "李小明", "sex": "male", "age": 9, "features": "左眉有痣", "clothing": "蓝色校服"},
		"last_seen": map[string]any{"at": time.Now().Add(-3 * time.Hour).UTC().Format(time.RFC3339), "position": pointX, "place": "长安区建设北大街"},
		"police":    map[string]any{"unit": x, "phone": "0311-87654321", "case_number": "A1301020000002025110001"},
		"initiator": map[string]any{"name": "李大明", "relation": "parent"},
	})
	f["missing/notices.id"], f["missing/public.id"] = id(notice), id(notice)
	f["rewards.id"] = id(post("handler", "/api/v1/rewards", map[string]any{"title": "寻找目击者", "description": "请提供线索", "amount_yuan": 1000,
		"area": x, "valid_until": time.Now().Add(30 * 24 * time.Hour).UTC().Format(time.RFC3339)}))
	return f
}

// openAPIOps lists "METHOD /path" for every operation in the document.
func openAPIOps(t *testing.T, base string) []string {
	t.Helper()
	ops := openAPIOperations(t, base)
	out := make([]string, 0, len(ops))
	for op := range ops {
		out = append(out, op)
	}
	sort.Strings(out)
	return out
}

// openAPIOperations reads the node's OpenAPI document: "METHOD /path" →
// the operation object.
func openAPIOperations(t *testing.T, base string) map[string]json.RawMessage {
	t.Helper()
	res, err := http.Get(base + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	ops := map[string]json.RawMessage{}
	for p, item := range doc.Paths {
		for m, raw := range item {
			switch m {
			case "get", "post", "put", "patch", "delete":
				ops[strings.ToUpper(m)+" "+p] = raw
			}
		}
	}
	return ops
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

const tablePath = "testdata/authz.txt"

func readTable(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	f, err := os.Open(tablePath)
	if err != nil {
		if os.IsNotExist(err) {
			return out
		}
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, "#"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" {
			continue
		}
		fs := strings.Fields(line)
		if len(fs) != 3 || len(fs[2]) != len(callers) {
			t.Fatalf("%s: bad row %q (want METHOD /path %d letters)", tablePath, line, len(callers))
		}
		out[fs[0]+" "+fs[1]] = fs[2]
	}
	return out
}

func writeTable(t *testing.T, observed, old map[string]string) {
	var b strings.Builder
	b.WriteString("# Who may call what: one row per OpenAPI operation, one letter per caller:\n")
	b.WriteString("#   " + strings.Join(callers, " ") + "\n")
	b.WriteString("# U 401, D 403/404, A allowed past authorisation (other 2xx/4xx), - not checked.\n")
	b.WriteString("# Checked by TestAuthzMatrix; -authz-update rewrites it from the server's answers\n")
	b.WriteString("# (keeping '-' cells): review every changed letter before committing.\n")
	ops := make([]string, 0, len(observed))
	for op := range observed {
		ops = append(ops, op)
	}
	sort.Slice(ops, func(i, j int) bool {
		pi, pj := strings.SplitN(ops[i], " ", 2)[1], strings.SplitN(ops[j], " ", 2)[1]
		if pi != pj {
			return pi < pj
		}
		return ops[i] < ops[j]
	})
	for _, op := range ops {
		got := []byte(observed[op])
		if w, ok := old[op]; ok {
			for i := range got {
				if w[i] == '-' {
					got[i] = '-'
				}
			}
		}
		m, p, _ := strings.Cut(op, " ")
		fmt.Fprintf(&b, "%-7s %-58s %s\n", m, p, got)
	}
	if err := os.MkdirAll("testdata", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tablePath, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d rows)", tablePath, len(ops))
}
