package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// garbageBodies are bodies no endpoint takes: none at all, an object
// without any of the required fields, JSON cut short, and a field no
// endpoint knows. (Endpoints that take raw bytes see them as files of no
// accepted type.)
var garbageBodies = []string{"", "{}", `{"authz":`, `{"authz_unknown_field":1}`}

// bodyCredential lists, per operation, the callers whose refusal in
// testdata/authz.txt comes from a credential carried in the body itself:
// a body that is not even JSON carries no credential to refuse, so its
// 400 is the right answer. Every other caller of these operations is
// still checked.
var bodyCredential = map[string][]string{
	// The authenticator code: officers' wrong code is 401.
	"POST /api/v1/auth/totp/confirm": {"dispX", "dispY", "handler", "super", "admin"},
	// The clue and its claim code are the whole authorisation.
	"POST /api/v1/rewards/claims/check":  callers,
	"POST /api/v1/rewards/claims/redeem": callers,
}

// pendingBodyFirst lists refusals known to come after the body today, in
// code being changed elsewhere (media/): they are logged, not failed. An
// entry that no longer fails is reported, so the list only shrinks.
var pendingBodyFirst = map[string][]string{}

// TestAuthzBody checks the order of the checks: who the caller is (401),
// then what they may do to this object (404 when they may not see it, 403
// when they may not do this), and only then their body (400, 422). For
// every operation that takes a body, every caller the matrix refuses
// (testdata/authz.txt: U or D) is called with the matrix's body and then
// with each of garbageBodies, and must get the same answer each time: a
// refused caller learns nothing from the body rules, and nothing about
// whether the object exists. An anonymous caller sending garbage gets
// 401, or for a public endpoint the answer it gets with a good body.
func TestAuthzBody(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	base, users, fx := startAuthz(t, ctx)
	table := readTable(t)

	checked, pendingSeen := 0, map[string]bool{}
	for _, op := range openAPIBodyOps(t, base) {
		want, ok := table[op]
		if !ok {
			continue // TestAuthzMatrix reports an operation without a row
		}
		method, path, _ := strings.Cut(op, " ")
		url := fx.fill(path)
		for i, who := range callers {
			if want[i] != 'U' && want[i] != 'D' {
				continue // allowed: their bad bodies are theirs to hear about
			}
			if slices.Contains(bodyCredential[op], who) {
				continue
			}
			ref, err := users[who].Do(ctx, base, method, url, nil, matrixBody(op))
			if err != nil {
				t.Fatalf("%s as %s: %v", op, who, err)
			}
			if outcome(ref.Status) != want[i] {
				t.Errorf("%s as %s with the matrix's body: %s, but testdata/authz.txt says %c", op, who, ref, want[i])
				continue
			}
			var bad []string
			for _, g := range garbageBodies {
				r, err := users[who].Do(ctx, base, method, url, nil, g)
				if err != nil {
					t.Fatalf("%s as %s: %v", op, who, err)
				}
				checked++
				if r.Status != ref.Status {
					bad = append(bad, fmt.Sprintf("%q → %d %s", g, r.Status, r.Code()))
				}
			}
			if len(bad) == 0 {
				continue
			}
			msg := fmt.Sprintf("%s as %s: refused with %d %s, but read the body first: %s",
				op, who, ref.Status, ref.Code(), strings.Join(bad, ", "))
			if slices.Contains(pendingBodyFirst[op], who) {
				pendingSeen[op+" "+who] = true
				t.Logf("known (pendingBodyFirst): %s", msg)
				continue
			}
			t.Error(msg)
		}
	}
	for op, whos := range pendingBodyFirst {
		for _, who := range whos {
			if !pendingSeen[op+" "+who] {
				t.Errorf("%s as %s is refused before its body now: remove it from pendingBodyFirst", op, who)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no refused caller of an operation with a body was checked")
	}
	t.Logf("%d refused calls with bad bodies checked", checked)
}

// openAPIBodyOps lists "METHOD /path" for every operation in the document
// that takes a body: it declares a requestBody, or it is a POST, PUT or
// PATCH (some take an optional body they do not declare).
func openAPIBodyOps(t *testing.T, base string) []string {
	t.Helper()
	var ops []string
	for op, raw := range openAPIOperations(t, base) {
		var o struct {
			RequestBody json.RawMessage `json:"requestBody"`
		}
		method, _, _ := strings.Cut(op, " ")
		if method == "GET" || method == "DELETE" {
			if json.Unmarshal(raw, &o) != nil || len(o.RequestBody) == 0 {
				continue
			}
		}
		ops = append(ops, op)
	}
	sort.Strings(ops)
	return ops
}
