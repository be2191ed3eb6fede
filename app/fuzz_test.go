package app_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"open110/admin/settings"
	"open110/app"
	"open110/platform/sms"
)

// FuzzEndpoints drives every write operation of the HTTP API (each POST,
// PUT, PATCH and DELETE that /api/v1/openapi.json lists) with fuzzed bodies
// through one real node: SQLite, embedded NATS, file blobs, demo data. The
// input is (operation index, role, body): the operation indexes the sorted
// list of write operations; role picks who calls (signed out, citizen,
// the citizen's guardian, dispatcher, handling officer, supervisor,
// admin) and, divided by the number of roles, which of the real objects
// fills the path ({id} of an alarm that is answered or queued, of a trip,
// tip, notice, reward task …, or an unknown one).
//
// Every answer must be
//   - below 500 (no dependency is down here, so not even 503), and
//   - for a 4xx, JSON {"error":{"code":…}} with a snake_case code, and
//   - for a 4xx, without a change to the database (DESIGN §4: bad input
//     changes nothing), except the refusals that are meant to count
//     (refusalCounts: failed sign-ins and the like).
//
// The node's clock stands still, so no timer (overflow, abandonment,
// overdue trips) fires between two calls and writes behind the test's back;
// rate limiters do not refill either, which is fine: 429 is a 4xx like any.
func FuzzEndpoints(f *testing.F) {
	n := startFuzzNode(f)
	for i, op := range n.ops {
		for _, s := range n.seeds(op) {
			f.Add(byte(i), byte(s.role+s.variant*len(roleNames)), []byte(s.body))
		}
	}
	f.Fuzz(func(t *testing.T, opIdx, who byte, body []byte) {
		n.check(t, int(opIdx), int(who), body)
	})
}

// signInOps legitimately write on refusal: they count failed codes and
// passwords (lockout) and requests per IP (allowIP), so that a refused
// guess still costs the guesser. The "changes nothing" check skips them;
// the other checks apply.
var signInOps = map[string]bool{
	"POST /api/v1/auth/otp":        true,
	"POST /api/v1/auth/otp/verify": true,
	"POST /api/v1/auth/login":      true,
}

// refusalCounts reports whether a refusal legitimately writes: the
// sign-in endpoints; a wrong reward claim code, which counts towards the
// clue's lock (reward.CheckClaim) for the same reason; and an officer's
// refused attempt to reveal a tipster's identity, which is audited
// (tip.Reveal: tip.identity.denied).
func refusalCounts(op, code string) bool {
	switch op {
	case "POST /api/v1/rewards/claims/check", "POST /api/v1/rewards/claims/redeem":
		return code == "claim_invalid"
	case "POST /api/v1/tips/{id}/identity/reveal":
		return code == "not_assigned_handler"
	}
	return signInOps[op]
}

// Roles, in the order the fuzz input's role byte picks them.
const (
	roleNone = iota
	roleCitizen
	roleGuardian
	roleDispatcher
	roleHandler
	roleSupervisor
	roleAdmin
)

var roleNames = []string{"none", "citizen", "guardian", "dispatcher", "handler", "supervisor", "admin"}

// The fuzz officers are our own accounts (not the demo ones the seeds sign
// in with and the fuzzer may lock out); centre codes: Chang'an district
// (130102), Shijiazhuang city (130100), the province (130000).
var fuzzOfficers = map[int]struct{ user, role, center string }{
	roleDispatcher: {"fzdisp", "dispatcher", "130102"},
	roleHandler:    {"fzhand", "handler", "130102"},
	roleSupervisor: {"fzsup", "supervisor", "130100"},
	roleAdmin:      {"fzadmin", "admin", "130000"},
}

const fuzzOfficerPassword = "fuzz-officer-password-1"

// pointX is in Chang'an district, Shijiazhuang (centre 130102).
var pointX = map[string]any{"lat": 38.0428, "lng": 114.5149, "accuracy_m": 10}

type fuzzOp struct {
	method, path string
	contentType  string // "" when the operation takes no body
}

func (o fuzzOp) String() string { return o.method + " " + o.path }

type fuzzNode struct {
	a      *app.App
	now    time.Time
	outbox string
	logs   *tailBuffer
	ops    []fuzzOp
	http   *http.Client
	watch  *sql.DB // one read connection of our own: PRAGMA data_version

	mu     sync.Mutex // the fuzz function runs one input at a time; this guards against surprises
	tok    [7]string
	phone  [7]string
	fix    map[string][]string // "kind.param" → candidate values
	claim  string              // the claim code of fix["rewards.cid"][0]
	ip     int                 // fresh loopback addresses for sign-ins
	phoneN int
	caseN  int
}

func startFuzzNode(f *testing.F) *fuzzNode {
	f.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	logs := &tailBuffer{max: 64 << 10}
	data := f.TempDir()
	a, err := app.Start(context.Background(), app.Config{
		Data: data, Addr: "127.0.0.1:0", Demo: true, SMSSecret: "fuzz-sms-secret",
		Now: func() time.Time { return now },
	}, logs)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { a.Close() })
	watch, err := sql.Open("sqlite", "file:"+filepath.Join(data, "open110.db")+"?_pragma=query_only(ON)&_pragma=busy_timeout(10000)")
	if err != nil {
		f.Fatal(err)
	}
	watch.SetMaxOpenConns(1)
	watch.SetMaxIdleConns(1)
	watch.SetConnMaxLifetime(0)
	watch.SetConnMaxIdleTime(0)
	f.Cleanup(func() { watch.Close() })
	n := &fuzzNode{
		a: a, now: now, outbox: filepath.Join(data, "sms-outbox.jsonl"), logs: logs, watch: watch,
		http: &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 4}},
		fix:  map[string][]string{},
		ip:   1,
	}
	n.ops = n.writeOps(f)

	// Officers: the demo admin creates ours, then each signs in.
	adminTok := n.login(f, "admin", "open110-demo")
	for _, o := range fuzzOfficers {
		st, out := n.do("POST", "/api/v1/admin/officers", adminTok, map[string]any{
			"username": o.user, "name": o.user, "role": o.role, "center": o.center, "password": fuzzOfficerPassword})
		if st != 201 {
			f.Fatalf("create officer %s: %d %v", o.user, st, out)
		}
	}
	for r, o := range fuzzOfficers {
		n.tok[r] = n.login(f, o.user, fuzzOfficerPassword)
	}
	for _, r := range []int{roleCitizen, roleGuardian} {
		if err := n.signInCitizen(r); err != nil {
			f.Fatal(err)
		}
	}
	if err := n.buildFixtures(fixAll); err != nil {
		f.Fatal(err)
	}
	return n
}

// writeOps lists the node's write operations from its OpenAPI document,
// sorted, with the content type each takes.
func (n *fuzzNode) writeOps(tb testing.TB) []fuzzOp {
	res, err := n.http.Get(n.a.URL + "/api/v1/openapi.json")
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	var doc struct {
		Paths map[string]map[string]struct {
			RequestBody *struct {
				Content map[string]json.RawMessage `json:"content"`
			} `json:"requestBody"`
		} `json:"paths"`
	}
	if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
		tb.Fatalf("openapi.json: %v", err)
	}
	var ops []fuzzOp
	for p, item := range doc.Paths {
		for m, o := range item {
			switch m {
			case "post", "put", "patch", "delete":
			default:
				continue
			}
			op := fuzzOp{method: strings.ToUpper(m), path: p}
			if o.RequestBody != nil {
				var cts []string
				for ct := range o.RequestBody.Content {
					cts = append(cts, ct)
				}
				sort.Strings(cts)
				op.contentType = cts[0]
				for _, pref := range []string{"application/json", "image/jpeg"} {
					if _, ok := o.RequestBody.Content[pref]; ok {
						op.contentType = pref
						break
					}
				}
			}
			ops = append(ops, op)
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].String() < ops[j].String() })
	if len(ops) < 50 {
		tb.Fatalf("only %d write operations in openapi.json", len(ops))
	}
	return ops
}

var snakeRE = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// check runs one fuzz input and checks the answer's properties.
func (n *fuzzNode) check(t *testing.T, opIdx, who int, body []byte) {
	n.mu.Lock()
	defer n.mu.Unlock()
	op := n.ops[opIdx%len(n.ops)]
	role, variant := who%len(roleNames), who/len(roleNames)
	target := n.fill(op.path, variant)

	req, err := http.NewRequest(op.method, n.a.URL+target+opQuery(op), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if op.contentType != "" || len(body) > 0 {
		ct := op.contentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	if n.tok[role] != "" {
		req.Header.Set("Authorization", "Bearer "+n.tok[role])
	}
	if op.String() == "POST /api/v1/sms/inbound" {
		// Signed as the gateway signs, so the body reaches the decoder.
		ts := strconv.FormatInt(n.now.Unix(), 10)
		req.Header.Set("X-Open110-Timestamp", ts)
		req.Header.Set("X-Open110-Signature", sms.Sign([]byte("fuzz-sms-secret"), ts, body))
	}
	if op.String() == "POST /api/v1/tips/media" {
		req.Header.Set("X-Capture-Token", "fuzz-capture-token")
		req.Header.Set("X-Capture-Time", n.now.Format(time.RFC3339))
		req.Header.Set("X-Capture-Position", "38.0428,114.5149,10")
	}

	before, err := n.counters()
	if err != nil {
		t.Fatal(err)
	}
	res, err := n.http.Do(req)
	if err != nil {
		t.Fatalf("%s as %s: %v", op, roleNames[role], err)
	}
	raw, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatalf("%s as %s: read answer: %v", op, roleNames[role], err)
	}
	after, err := n.counters()
	if err != nil {
		t.Fatal(err)
	}
	status := res.StatusCode
	what := fmt.Sprintf("%s %s as %s, body %q", op.method, target, roleNames[role], clip(body))

	if status >= 500 {
		t.Fatalf("%s: %d %s\nnode log:\n%s", what, status, clip(raw), n.logs.String())
	}
	isJSON := strings.HasPrefix(res.Header.Get("Content-Type"), "application/json")
	if status >= 400 {
		var e struct {
			Error struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		if !isJSON || json.Unmarshal(raw, &e) != nil || !snakeRE.MatchString(e.Error.Code) {
			t.Fatalf("%s: %d with %q, want JSON {\"error\":{\"code\":snake_case}}: %s", what, status, res.Header.Get("Content-Type"), clip(raw))
		}
		if !refusalCounts(op.String(), e.Error.Code) && after.changes != before.changes && after.version != before.version {
			if n.backgroundWrite(before.auditSeq) {
				return // the retention job ran meanwhile; nothing to say about this input
			}
			t.Fatalf("%s: %d %s changed the database (total_changes %d → %d); new audit entries: %s",
				what, status, e.Error.Code, before.changes, after.changes, n.auditSince(before.auditSeq))
		}
		if status == 401 && e.Error.Code == "invalid_token" && n.tok[role] != "" {
			n.restore(t, role) // the session ended (logout, account deleted): sign in again
		}
	} else if isJSON && len(bytes.TrimSpace(raw)) > 0 && !json.Valid(raw) {
		t.Fatalf("%s: %d with invalid JSON: %s", what, status, clip(raw))
	}
	if status < 300 {
		n.afterSuccess(t, op)
	}
}

// restore signs role in again after its session ended.
func (n *fuzzNode) restore(t *testing.T, role int) {
	if o, ok := fuzzOfficers[role]; ok {
		tok, err := n.tryLogin(o.user, fuzzOfficerPassword)
		if err != nil {
			t.Fatalf("sign %s in again: %v", o.user, err)
		}
		n.tok[role] = tok
		return
	}
	// A citizen signs in with a fresh number (the old one waits out the
	// resend interval on a clock that stands still), so it is a new
	// citizen: build their objects again.
	if err := n.signInCitizen(role); err != nil {
		t.Fatalf("sign %s in again: %v", roleNames[role], err)
	}
	which := fixAll
	if role == roleGuardian {
		which = fixLink
	}
	_ = n.buildFixtures(which) // best effort: a failed step leaves unknown IDs

}

// afterSuccess undoes what a successful call changed that later calls rely
// on: the settings (an SMS gateway or a new SMS secret would break sign-in
// and the 12110 check) and the objects whose state a call moved on.
func (n *fuzzNode) afterSuccess(t *testing.T, op fuzzOp) {
	s := op.String()
	switch {
	case s == "PUT /api/v1/admin/settings":
		st, out := n.do("GET", "/api/v1/admin/settings", n.tok[roleAdmin], nil)
		cur, _ := out["current"].(map[string]any)
		v, _ := cur["version"].(float64)
		if st != 200 {
			t.Fatalf("read settings: %d %v", st, out)
		}
		if st, out := n.do("PUT", "/api/v1/admin/settings", n.tok[roleAdmin], map[string]any{
			"base_version": int64(v), "settings": settings.Defaults(), "note": "fuzz: restore"}); st != 200 {
			t.Fatalf("restore settings: %d %v", st, out)
		}
	default:
		if which := rebuildAfter[s]; which != 0 {
			_ = n.buildFixtures(which) // best effort: a failed step leaves unknown IDs
		}
	}
}

// rebuildAfter names the fixtures an operation moves on for good when it
// succeeds.
var rebuildAfter = map[string]int{
	"POST /api/v1/alarms/{id}/end":               fixAlarms,
	"POST /api/v1/alarms/{id}/cancel":            fixAlarms,
	"POST /api/v1/alarms/{id}/transfer":          fixAlarms,
	"POST /api/v1/alarms/{id}/release":           fixAlarms,
	"POST /api/v1/trips/{id}/end":                fixTrip,
	"DELETE /api/v1/guardians/{id}":              fixLink,
	"POST /api/v1/guardians/{id}/decline":        fixLink,
	"POST /api/v1/tips/{id}/close":               fixTip,
	"POST /api/v1/missing/notices/{id}/close":    fixNotices,
	"POST /api/v1/missing/notices/{id}/reject":   fixNotices,
	"POST /api/v1/missing/notices/{id}/withdraw": fixNotices,
	"POST /api/v1/rewards/{id}/close":            fixReward,
}

// opQuery is the query string an operation needs to reach its body.
func opQuery(op fuzzOp) string {
	if op.String() == "POST /api/v1/trips/{id}/media" {
		return "?kind=photo&client_id=fuzz-1&lat=38.0428&lng=114.5149"
	}
	return ""
}

var paramRE = regexp.MustCompile(`\{([^}]+)\}`)

// fill replaces each {param} with one of the candidates for its kind
// (the path's prefix), the variant choosing which.
func (n *fuzzNode) fill(path string, variant int) string {
	kind := ""
	for _, k := range []string{"alarms", "trips", "tips", "guardians", "missing/notices", "missing/public", "missing/sightings",
		"rewards", "admin/centers", "admin/officers", "media/links"} {
		if strings.HasPrefix(path, "/api/v1/"+k+"/") {
			kind = k
		}
	}
	return paramRE.ReplaceAllStringFunc(path, func(m string) string {
		c := n.fix[kind+"."+m[1:len(m)-1]]
		if len(c) == 0 {
			return "fuzz-unknown-id"
		}
		return url.PathEscape(c[variant%len(c)])
	})
}

type counters struct {
	changes, version, auditSeq int64
}

// counters reads the change counters: total_changes() of the writer (a
// single connection on SQLite: every write goes through it) and
// data_version seen from a connection of our own (it moves when another
// connection commits). A 4xx changed the database only if both moved:
// total_changes alone also counts rows a transaction wrote and then
// rolled back (nothing kept), and data_version alone moves on commits that
// changed no row.
func (n *fuzzNode) counters() (counters, error) {
	var c counters
	if err := n.a.DB.SQL().QueryRow("SELECT total_changes()").Scan(&c.changes); err != nil {
		return c, err
	}
	if err := n.watch.QueryRow("PRAGMA data_version").Scan(&c.version); err != nil {
		return c, err
	}
	if err := n.watch.QueryRow("SELECT COALESCE(MAX(seq), 0) FROM audit_log").Scan(&c.auditSeq); err != nil {
		return c, err
	}
	return c, nil
}

// backgroundWrite reports whether the node's own retention job (a timer on
// the wall clock, first run a minute after start) wrote since audit seq.
func (n *fuzzNode) backgroundWrite(seq int64) bool {
	var k int
	_ = n.watch.QueryRow("SELECT COUNT(*) FROM audit_log WHERE seq > ? AND action = 'retention.purge'", seq).Scan(&k)
	return k > 0
}

func (n *fuzzNode) auditSince(seq int64) string {
	rows, err := n.watch.Query("SELECT actor, action, object FROM audit_log WHERE seq > ? ORDER BY seq LIMIT 10", seq)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a, b, c string
		if rows.Scan(&a, &b, &c) == nil {
			out = append(out, a+" "+b+" "+c)
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, "; ")
}

// do makes a setup call as JSON from the node's usual client.
func (n *fuzzNode) do(method, path, token string, body any) (int, map[string]any) {
	return n.doFrom(n.http, method, path, token, body)
}

func (n *fuzzNode) doFrom(c *http.Client, method, path, token string, body any) (int, map[string]any) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, n.a.URL+path, rd)
	if err != nil {
		return 0, map[string]any{"error": err.Error()}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.Do(req)
	if err != nil {
		return 0, map[string]any{"error": err.Error()}
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// fresh returns a client whose connections come from a loopback address
// no earlier sign-in used, so the per-IP sign-in limits (which the fuzzer
// exhausts for 127.0.0.1 quickly) do not refuse the test's own sign-ins.
func (n *fuzzNode) fresh() *http.Client {
	n.ip++
	ip := net.IPv4(127, 3, byte(n.ip/250), byte(n.ip%250+2))
	d := &net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: ip}}
	return &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
}

func (n *fuzzNode) login(tb testing.TB, user, password string) string {
	tb.Helper()
	tok, err := n.tryLogin(user, password)
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

func (n *fuzzNode) tryLogin(user, password string) (string, error) {
	st, out := n.doFrom(n.fresh(), "POST", "/api/v1/auth/login", "", map[string]string{"username": user, "password": password})
	tok, _ := out["token"].(string)
	if st != 200 || tok == "" {
		return "", fmt.Errorf("login %s: %d %v", user, st, out)
	}
	return tok, nil
}

var otpRE = regexp.MustCompile(`\d{6}`)

// signInCitizen signs role in as a citizen with a number not used before.
func (n *fuzzNode) signInCitizen(role int) error {
	n.phoneN++
	phone := fmt.Sprintf("1391%07d", n.phoneN*10+role)
	c := n.fresh()
	if st, out := n.doFrom(c, "POST", "/api/v1/auth/otp", "", map[string]string{"phone": phone}); st != 202 {
		return fmt.Errorf("otp %s: %d %v", phone, st, out)
	}
	msgs, err := sms.ReadOutbox(n.outbox)
	if err != nil {
		return err
	}
	code := ""
	for i := len(msgs) - 1; i >= 0 && code == ""; i-- {
		if msgs[i].To == "+86"+phone {
			code = otpRE.FindString(msgs[i].Text)
		}
	}
	st, out := n.doFrom(c, "POST", "/api/v1/auth/otp/verify", "", map[string]string{"phone": phone, "code": code})
	tok, _ := out["token"].(string)
	if st != 200 || tok == "" {
		return fmt.Errorf("verify %s: %d %v", phone, st, out)
	}
	n.tok[role], n.phone[role] = tok, phone
	return nil
}

// The fixtures are the objects the path parameters name. Each builder
// makes one kind afresh; a step that fails leaves the kind with the
// candidates it had (at worst only an unknown ID), and returns an error
// (fatal only at start, where it means the test is out of date). They run
// at start, after a citizen is signed in again (a new citizen owns
// nothing), and after a call moved an object on for good (an alarm ended,
// a trip ended, a notice closed …).
const (
	fixAlarms = 1 << iota
	fixLink   // a guardian link, accepted, and a trip with it
	fixTrip
	fixTip
	fixNotices
	fixReward
	fixAll = fixAlarms | fixLink | fixTrip | fixTip | fixNotices | fixReward
)

func (n *fuzzNode) buildFixtures(which int) error {
	var errs []string
	b := &builder{n: n, errs: &errs}
	n.fix["alarms.seq"] = []string{"1", "2", "999999"}
	n.fix["admin/centers.code"] = []string{"130104", "999999"}
	n.fix["admin/officers.username"] = []string{"h130104", "nobody"}
	if which&fixAlarms != 0 {
		b.alarms()
	}
	if which&fixLink != 0 {
		b.link()
	}
	if which&(fixLink|fixTrip) != 0 {
		b.trip()
	}
	if which&fixTip != 0 {
		b.tip()
	}
	if which&fixNotices != 0 {
		b.notices()
	}
	if which&fixReward != 0 {
		b.reward()
	}
	if len(errs) > 0 {
		return fmt.Errorf("fixtures: %s", strings.Join(errs, "; "))
	}
	return nil
}

type builder struct {
	n    *fuzzNode
	errs *[]string
}

// step records a failed setup call; it returns the answer's body when the
// status is want.
func (b *builder) step(what string, a answer, want int) (map[string]any, bool) {
	if a.st != want {
		*b.errs = append(*b.errs, fmt.Sprintf("%s: %d %v", what, a.st, a.out))
		return nil, false
	}
	return a.out, true
}

// set makes vals (and an unknown ID) the candidates for key, unless one is
// missing.
func (b *builder) set(key string, vals ...string) {
	for _, v := range vals {
		if v == "" {
			return
		}
	}
	b.n.fix[key] = append(vals, "fuzz-unknown-id")
}

func field(m map[string]any, k string) string { s, _ := m[k].(string); return s }

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// alarms: one answered by our dispatcher (with a unit dispatched, a
// position and a video link sent), one queued.
func (b *builder) alarms() {
	n := b.n
	cit, disp := n.tok[roleCitizen], n.tok[roleDispatcher]
	var answered, queued, unit string
	if out, ok := b.step("raise", n.post("/api/v1/alarms", cit, map[string]any{"kind": "text", "location": pointX, "text": "fuzz"}), 201); ok {
		answered = field(out, "id")
		if _, ok := b.step("answer", n.post("/api/v1/alarms/"+answered+"/answer", disp, nil), 200); ok {
			if out, ok := b.step("unit", n.post("/api/v1/alarms/"+answered+"/incident/units", disp, map[string]any{"unit": "长安巡警一组"}), 201); ok {
				unit = field(out, "id")
			}
			b.step("position", n.post("/api/v1/alarms/"+answered+"/positions", cit, pointX), 201)
			if _, ok := b.step("video link", n.post("/api/v1/alarms/"+answered+"/video-link", disp, map[string]any{}), 201); ok {
				b.set("media/links.token", n.lastLinkToken())
			}
		}
	}
	if out, ok := b.step("raise queued", n.post("/api/v1/alarms", cit, map[string]any{"kind": "silent", "location": pointX}), 201); ok {
		queued = field(out, "id")
	}
	b.set("alarms.id", answered, queued)
	b.set("alarms.unit", unit)
}

// link: the citizen invites the guardian, who accepts.
func (b *builder) link() {
	n := b.n
	if out, ok := b.step("invite", n.post("/api/v1/guardians", n.tok[roleCitizen], map[string]any{"phone": n.phone[roleGuardian], "default": true}), 201); ok {
		id := field(out, "id")
		if _, ok := b.step("accept", n.post("/api/v1/guardians/"+id+"/accept", n.tok[roleGuardian], nil), 200); ok {
			b.set("guardians.id", id)
		}
	}
}

// trip: the citizen's running trip (a new one, or the one still running).
func (b *builder) trip() {
	n := b.n
	a := n.post("/api/v1/trips", n.tok[roleCitizen], map[string]any{"mode": "taxi", "note": "冀A12345"})
	trip := field(a.out, "id")
	if e, ok := a.out["error"].(map[string]any); ok && e["code"] == "trip_active" {
		trip, _ = e["trip_id"].(string)
	} else {
		b.step("trip", a, 201)
	}
	b.set("trips.id", trip)
}

// tip: submitted by the citizen, assigned to our handler.
func (b *builder) tip() {
	n := b.n
	if out, ok := b.step("tip", n.post("/api/v1/tips", n.tok[roleCitizen], map[string]any{"category": "drugs", "description": "fuzz 线索", "position": pointX}), 201); ok {
		id := field(out, "id")
		b.step("assign", n.post("/api/v1/tips/"+id+"/assign", n.tok[roleSupervisor], map[string]any{"handler": fuzzOfficers[roleHandler].user}), 200)
		b.set("tips.id", id)
	}
}

// notices: one published (with a sighting), one only submitted.
func (b *builder) notices() {
	n := b.n
	hand := n.tok[roleHandler]
	notice := func() string {
		n.caseN++
		out, _ := b.step("notice", n.post("/api/v1/missing/notices", n.tok[roleCitizen], map[string]any{
			"person":    map[string]any{"name": "李小明", "sex": "male", "age": 9, "clothing": "蓝色校服"},
			"last_seen": map[string]any{"at": rfc3339(n.now.Add(-3 * time.Hour)), "position": pointX, "place": "长安区建设北大街"},
			"police":    map[string]any{"unit": "130102", "phone": "0311-87654321", "case_number": "A130102000000" + n.now.Format("200601") + fmt.Sprintf("%04d", n.caseN)},
			"initiator": map[string]any{"name": "李大明", "relation": "parent"},
		}), 201)
		return field(out, "id")
	}
	published, submitted := notice(), notice()
	if published == "" {
		return
	}
	b.step("verify", n.post("/api/v1/missing/notices/"+published+"/verify", hand, map[string]any{"note": "已联系"}), 200)
	b.step("publish", n.post("/api/v1/missing/notices/"+published+"/publish", hand, map[string]any{
		"checks": map[string]any{"unit_confirmed": true, "case_number_confirmed": true, "initiator_contacted": true}}), 200)
	if out, ok := b.step("sighting", n.post("/api/v1/missing/public/"+published+"/sightings", n.tok[roleGuardian], map[string]any{"text": "在公园看到", "position": pointX}), 201); ok {
		b.set("missing/sightings.sid", field(out, "id"))
	}
	b.set("missing/notices.id", published, submitted)
	b.set("missing/public.id", published)
}

// reward: a task of our handler's centre with the citizen's clue.
func (b *builder) reward() {
	n := b.n
	if out, ok := b.step("reward", n.post("/api/v1/rewards", n.tok[roleHandler], map[string]any{"title": "寻找目击者", "description": "请提供线索", "amount_yuan": 1000,
		"area": "长安区", "valid_until": rfc3339(n.now.Add(30 * 24 * time.Hour))}), 201); ok {
		task := field(out, "id")
		b.set("rewards.id", task)
		if out, ok := b.step("clue", n.post("/api/v1/rewards/"+task+"/clues", n.tok[roleCitizen], map[string]any{"text": "我看到了"}), 201); ok {
			b.set("rewards.cid", field(out, "clue"))
			n.claim = field(out, "claim_code")
		}
	}
}

type answer struct {
	st  int
	out map[string]any
}

func (n *fuzzNode) post(path, token string, body any) answer {
	st, out := n.do("POST", path, token, body)
	return answer{st, out}
}

var linkRE = regexp.MustCompile(`/v/([A-Za-z0-9_-]+)`)

// lastLinkToken reads the newest video link from the SMS outbox.
func (n *fuzzNode) lastLinkToken() string {
	msgs, err := sms.ReadOutbox(n.outbox)
	if err != nil {
		return ""
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		if m := linkRE.FindStringSubmatch(msgs[i].Text); m != nil {
			return m[1]
		}
	}
	return ""
}

type fuzzSeed struct {
	role, variant int
	body          string
}

// seeds are, per operation, a plausible valid body as the role that may
// call it, and a few broken ones.
func (n *fuzzNode) seeds(op fuzzOp) []fuzzSeed {
	j := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	future := n.now.Add(2 * time.Hour).Format(time.RFC3339)
	past := n.now.Add(-time.Hour).Format(time.RFC3339)
	first := func(key string) string {
		if c := n.fix[key]; len(c) > 0 {
			return c[0]
		}
		return ""
	}
	jpeg := "\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
	png := "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + strings.Repeat("\x00", 32)
	type s = fuzzSeed
	valid := map[string][]s{
		"POST /api/v1/auth/otp":                                 {{roleNone, 0, `{"phone":"13800138000"}`}, {roleNone, 0, `{"phone":"+86 138-0013-8000"}`}},
		"POST /api/v1/auth/otp/verify":                          {{roleNone, 0, `{"phone":"13800138000","code":"123456"}`}},
		"POST /api/v1/auth/login":                               {{roleNone, 0, `{"username":"d130102","password":"open110-demo"}`}, {roleNone, 0, `{"username":"h130102","password":"wrong","totp":"123456"}`}},
		"POST /api/v1/auth/logout":                              {{roleCitizen, 0, ``}},
		"POST /api/v1/auth/totp/enroll":                         {{roleDispatcher, 0, ``}},
		"POST /api/v1/auth/totp/confirm":                        {{roleDispatcher, 0, `{"code":"123456"}`}},
		"POST /api/v1/alarms":                                   {{roleCitizen, 0, j(map[string]any{"kind": "video", "location": pointX, "text": "救命", "idempotency_key": "fz-1"})}, {roleCitizen, 0, `{"kind":"text"}`}},
		"POST /api/v1/alarms/{id}/answer":                       {{roleDispatcher, 1, ``}},
		"POST /api/v1/alarms/{id}/callbacks":                    {{roleDispatcher, 0, `{"outcome":"no_answer","note":"无人接听"}`}},
		"POST /api/v1/alarms/{id}/cancel":                       {{roleCitizen, 1, `{"reason":"误报"}`}},
		"POST /api/v1/alarms/{id}/end":                          {{roleDispatcher, 0, `{"disposition":"resolved"}`}},
		"PUT /api/v1/alarms/{id}/incident":                      {{roleDispatcher, 0, `{"category":"治安","priority":2,"address":"长安区建设北大街","notes":"两人争执"}`}},
		"POST /api/v1/alarms/{id}/incident/units":               {{roleDispatcher, 0, `{"unit":"长安巡警二组","note":"5分钟到"}`}},
		"POST /api/v1/alarms/{id}/incident/units/{unit}/status": {{roleDispatcher, 0, `{"status":"arrived"}`}},
		"POST /api/v1/alarms/{id}/messages":                     {{roleCitizen, 0, `{"text":"我在楼下","client_id":"m-1"}`}, {roleDispatcher, 0, `{"text":"收到"}`}},
		"POST /api/v1/alarms/{id}/messages/ack":                 {{roleCitizen, 0, `{"delivered_upto":1,"read_upto":1}`}},
		"POST /api/v1/alarms/{id}/positions":                    {{roleCitizen, 0, `{"lat":38.043,"lng":114.515,"accuracy_m":8,"source":"gps"}`}},
		"POST /api/v1/alarms/{id}/positions/{seq}/accept":       {{roleDispatcher, 0, ``}},
		"POST /api/v1/alarms/{id}/recordings/play":              {{roleDispatcher, 0, `{"reason":"复核","seq":1,"track":"video"}`}},
		"POST /api/v1/alarms/{id}/release":                      {{roleDispatcher, 0, `{"reason":"交班"}`}},
		"POST /api/v1/alarms/{id}/snapshots":                    {{roleDispatcher, 0, jpeg}, {roleDispatcher, 0, png}},
		"POST /api/v1/alarms/{id}/transfer":                     {{roleDispatcher, 0, `{"center":"130200","note":"跨区"}`}},
		"POST /api/v1/alarms/{id}/video-link":                   {{roleDispatcher, 0, `{}`}, {roleDispatcher, 0, `{"phone":"13800138000"}`}},
		"POST /api/v1/sms/inbound":                              {{roleNone, 0, j(map[string]any{"id": "gw-1", "from": "13800138009", "to": "12110", "text": "有人打架", "at": past, "cell": pointX})}},
		"POST /api/v1/media/links/{token}/claim":                {{roleNone, 0, `{"consent":true}`}},
		"POST /api/v1/guardians":                                {{roleCitizen, 0, j(map[string]any{"phone": n.phone[roleGuardian], "label": "妈妈", "default": true})}},
		"POST /api/v1/guardians/{id}/accept":                    {{roleGuardian, 0, ``}},
		"POST /api/v1/guardians/{id}/decline":                   {{roleGuardian, 0, ``}},
		"PUT /api/v1/guardians/{id}/default":                    {{roleCitizen, 0, `{"default":false}`}},
		"DELETE /api/v1/guardians/{id}":                         {{roleCitizen, 1, ``}},
		"PUT /api/v1/guardians/duress-pin":                      {{roleCitizen, 0, `{"pin":"4321"}`}},
		"DELETE /api/v1/guardians/duress-pin":                   {{roleCitizen, 0, ``}},
		"POST /api/v1/trips":                                    {{roleCitizen, 0, j(map[string]any{"mode": "night_run", "destination": "公园", "expected_at": future, "guardians": []string{first("guardians.id")}})}},
		"POST /api/v1/trips/{id}/alarms":                        {{roleGuardian, 0, `{"kind":"voice"}`}},
		"POST /api/v1/trips/{id}/checkin":                       {{roleCitizen, 0, j(map[string]any{"expected_at": future})}},
		"POST /api/v1/trips/{id}/end":                           {{roleCitizen, 0, `{"pin":"1234"}`}},
		"POST /api/v1/trips/{id}/media":                         {{roleCitizen, 0, jpeg}},
		"POST /api/v1/trips/{id}/points":                        {{roleCitizen, 0, j(map[string]any{"points": []any{map[string]any{"seq": 1, "at": n.now.Format(time.RFC3339), "lat": 38.043, "lng": 114.515, "accuracy_m": 5}}})}},
		"POST /api/v1/tips":                                     {{roleCitizen, 0, j(map[string]any{"category": "guns", "description": "有人藏枪", "position": pointX, "name": "张三", "anonymous": false, "media": []string{}})}},
		"POST /api/v1/tips/capture-tokens":                      {{roleCitizen, 0, ``}},
		"POST /api/v1/tips/media":                               {{roleCitizen, 0, jpeg}},
		"POST /api/v1/tips/{id}/accept":                         {{roleHandler, 0, ``}},
		"POST /api/v1/tips/{id}/assign":                         {{roleSupervisor, 0, `{"handler":"h130102"}`}, {roleSupervisor, 0, `{"handler":"fzhand"}`}},
		"POST /api/v1/tips/{id}/close":                          {{roleHandler, 0, `{"result":"partly_verified","note":"已查处"}`}},
		"POST /api/v1/tips/{id}/identity/reveal":                {{roleHandler, 0, `{"reason":"需联系举报人核实"}`}},
		"POST /api/v1/tips/{id}/messages":                       {{roleCitizen, 0, `{"text":"补充：晚上十点"}`}, {roleHandler, 0, `{"text":"请再描述"}`}},
		"POST /api/v1/missing/notices":                          {{roleCitizen, 0, j(map[string]any{"person": map[string]any{"name": "王芳", "sex": "female", "age": 70, "height_cm": 155, "build": "slim", "features": "白发", "clothing": "红外套", "birth_date": "1955-03-01"}, "last_seen": map[string]any{"at": past, "position": pointX, "place": "长安公园"}, "police": map[string]any{"unit": "130102", "phone": "13800138000", "case_number": "J130102000000" + n.now.Format("200601") + "0002"}, "initiator": map[string]any{"name": "王强", "relation": "child", "phone": "13800138001", "address": "长安区"}})}},
		"POST /api/v1/missing/notices/{id}/close":               {{roleHandler, 0, `{"outcome":"found","notice":"已找到，感谢"}`}},
		"POST /api/v1/missing/notices/{id}/media":               {{roleCitizen, 1, png}},
		"POST /api/v1/missing/notices/{id}/progress":            {{roleHandler, 0, `{"text":"正在调取监控"}`}},
		"POST /api/v1/missing/notices/{id}/publish":             {{roleHandler, 1, `{"checks":{"unit_confirmed":true,"case_number_confirmed":true,"initiator_contacted":true,"note":"ok"},"place_public":"长安区"}`}},
		"POST /api/v1/missing/notices/{id}/reject":              {{roleHandler, 1, `{"reason":"案件编号不符","checks":{"unit_confirmed":false}}`}},
		"POST /api/v1/missing/notices/{id}/verify":              {{roleHandler, 1, `{"note":"已电话联系"}`}},
		"POST /api/v1/missing/notices/{id}/withdraw":            {{roleCitizen, 1, ``}},
		"POST /api/v1/missing/public/{id}/sightings":            {{roleGuardian, 0, j(map[string]any{"text": "在车站看到", "position": pointX, "seen_at": past, "anonymous": true})}, {roleNone, 0, `{"text":"看到了"}`}},
		"POST /api/v1/missing/sightings/{sid}/triage":           {{roleHandler, 0, `{"status":"relevant","note":"派员核实"}`}},
		"PUT /api/v1/missing/alerts":                            {{roleCitizen, 0, `{"county":"130104"}`}, {roleCitizen, 0, j(map[string]any{"point": pointX})}},
		"DELETE /api/v1/missing/alerts":                         {{roleCitizen, 0, ``}},
		"POST /api/v1/missing/inbox/read":                       {{roleCitizen, 0, `{"upto":1}`}},
		"POST /api/v1/rewards":                                  {{roleHandler, 0, j(map[string]any{"title": "征集线索", "description": "盗窃案", "amount_yuan": 500, "area": "长安区", "valid_from": n.now.Format(time.RFC3339), "valid_until": n.now.Add(48 * time.Hour).Format(time.RFC3339)})}},
		"POST /api/v1/rewards/claims/check":                     {{roleNone, 0, j(map[string]any{"clue": first("rewards.cid"), "code": n.claim})}},
		"POST /api/v1/rewards/claims/redeem":                    {{roleNone, 0, j(map[string]any{"clue": first("rewards.cid"), "code": "000000"})}},
		"POST /api/v1/rewards/{id}/close":                       {{roleHandler, 1, ``}},
		"POST /api/v1/rewards/{id}/clues":                       {{roleCitizen, 0, `{"text":"嫌疑人往北走了","contact":"13800138000","anonymous":false}`}},
		"POST /api/v1/rewards/{id}/clues/{cid}/reward":          {{roleHandler, 0, `{"amount_yuan":200,"note":"有效线索"}`}},
		"POST /api/v1/rewards/{id}/media":                       {{roleHandler, 0, png}},
		"PUT /api/v1/profile":                                   {{roleCitizen, 0, j(map[string]any{"real_name": "张三", "id_number": "11010519491231002X", "blood_type": "a+", "allergies": []string{"青霉素", "青霉素"}, "conditions": []string{"哮喘"}, "medications": []string{}, "languages": []string{"zh", "sign"}, "disabilities": []string{"deaf"}, "contacts": []any{map[string]any{"name": "李四", "relation": "配偶", "phone": "138 0013 8000"}}, "notes": "行动不便"})}},
		"DELETE /api/v1/profile":                                {{roleCitizen, 0, ``}},
		"POST /api/v1/mydata/deletion":                          {{roleGuardian, 0, `{"confirm":"DELETE"}`}, {roleCitizen, 0, `{"confirm":"delete"}`}},
		"PUT /api/v1/admin/centers/{code}":                      {{roleAdmin, 0, `{"active":false,"reason":"撤并"}`}, {roleAdmin, 0, `{"active":true}`}},
		"POST /api/v1/admin/officers":                           {{roleAdmin, 0, `{"username":"d130102x","name":"新接警员","role":"dispatcher","center":"130102","password":"a-long-password-1"}`}},
		"PATCH /api/v1/admin/officers/{username}":               {{roleAdmin, 0, `{"name":"改名","role":"dispatcher","center":"130104","disabled":false,"reason":"调岗"}`}},
		"POST /api/v1/admin/officers/{username}/password":       {{roleAdmin, 0, `{"password":"another-long-pass","reason":"遗忘"}`}},
		"POST /api/v1/admin/officers/{username}/totp":           {{roleAdmin, 0, ``}},
		"POST /api/v1/admin/officers/{username}/totp/confirm":   {{roleAdmin, 0, `{"code":"123456"}`}},
		"DELETE /api/v1/admin/officers/{username}/totp":         {{roleAdmin, 0, ``}},
		"PUT /api/v1/admin/settings":                            {{roleAdmin, 0, j(map[string]any{"base_version": 0, "settings": settings.Defaults(), "note": "调整"})}},
		"POST /api/v1/admin/retention/run":                      {{roleAdmin, 0, ``}},
	}
	out := valid[op.String()]
	role := roleCitizen
	if len(out) > 0 {
		role = out[0].role
	}
	// Broken bodies: a syntax error and an unknown field (the decoder's
	// other refusals the fuzzer reaches from these in a few mutations).
	for _, b := range []string{`{`, `{"x":1}`} {
		out = append(out, s{role, 0, b})
	}
	return out
}

// tailBuffer keeps the last max bytes written to it (the node's log).
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) > b.max {
		b.buf = append(b.buf[:0], b.buf[len(b.buf)-b.max/2:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

func clip(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}
