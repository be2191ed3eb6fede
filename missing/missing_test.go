package missing

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"open110/account"
	"open110/audit"
	"open110/geo"
	"open110/platform/apperr"
	"open110/platform/blob"
	"open110/platform/bus"
	"open110/platform/db"
	"open110/platform/db/dbtest"
	"open110/platform/fakeclock"
	"open110/platform/sms"
)

var loadRouter = sync.OnceValues(geo.Load)

// recorder is a Notifier that remembers each ring's audience.
type recorder struct {
	mu    sync.Mutex
	rings []ring
}

type ring struct {
	n   Notification
	aud []string
}

func (r *recorder) Notify(_ context.Context, n Notification, aud []string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	a := slices.Clone(aud)
	slices.Sort(a)
	r.rings = append(r.rings, ring{n, a})
	return nil
}

func (r *recorder) last() ring {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rings[len(r.rings)-1]
}

type env struct {
	s     *Service
	d     *db.DB
	clk   *fakeclock.Clock
	notes *recorder
	blob  blob.Store
	audit *audit.Log
}

var base = time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)

// newEnv builds the service on d with real parts: the account service's
// centres (counties inactive unless allCounties), a real embedded bus, the
// file blob store, the embedded router.
func newEnv(t *testing.T, d *db.DB, allCounties bool) *env {
	t.Helper()
	ctx := context.Background()
	r, err := loadRouter()
	if err != nil {
		t.Fatal(err)
	}
	clk := fakeclock.New(base)
	dir := t.TempDir()
	b, err := bus.Open(ctx, bus.Config{DataDir: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	bs, err := blob.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	al := audit.New(d, clk.Now)
	acc := account.New(d, al, sms.NewOutbox(filepath.Join(dir, "sms.jsonl"), clk.Now), []byte("0123456789abcdef0123456789abcdef"), account.Config{}, clk.Now, nil)
	var rows []account.UnitRow
	for _, u := range geo.Units() {
		rows = append(rows, account.UnitRow{Code: u.Code, Name: u.Name, Level: string(u.Level), Parent: u.Parent})
	}
	if err := acc.SeedCenters(ctx, rows, allCounties); err != nil {
		t.Fatal(err)
	}
	notes := &recorder{}
	s := New(Deps{DB: d, Bus: b, Blob: bs, Audit: al, Centers: acc, Router: r, Notifier: notes, Now: clk.Now})
	// Load the (empty) area index now, as Run does at start, so rings are
	// delivered synchronously and the recorder can be read right away.
	if _, err := s.index(ctx); err != nil {
		t.Fatal(err)
	}
	return &env{s: s, d: d, clk: clk, notes: notes, blob: bs, audit: al}
}

func sets() []db.Migrations {
	return []db.Migrations{audit.Migrations(), account.Migrations(), Migrations()}
}

func citizen(id, phone string) Caller {
	return Caller{Principal: account.Principal{Kind: account.Citizen, ID: id, Phone: phone, SignInIP: "10.0.0.1"}, IP: "10.0.0.2"}
}

func officer(username string, role account.Role, center string) Caller {
	return Caller{Principal: account.Principal{Kind: account.Officer, ID: "o_" + username, Username: username, Role: role, Center: center, SignInIP: "10.1.0.1"}, IP: "10.1.0.2"}
}

var (
	family   = citizen("c_family", "+8613800000001")
	neighbor = citizen("c_neighbor", "+8613800000002")
	stranger = citizen("c_stranger", "+8613800000003")
	// With counties inactive, 长安区 (130102) falls back to 石家庄市 (130100).
	handler    = officer("h130100", account.Handler, "130100")
	dispatcher = officer("d130100", account.Dispatcher, "130100")
	otherCity  = officer("h130200", account.Handler, "130200")
	province   = officer("admin", account.Admin, "130000")
)

func intp(v int) *int { return &v }

// goodSubmission is a valid notice: last seen 30 minutes before base near
// Shijiazhuang, accepted by 长安区.
func goodSubmission() Submission {
	return Submission{
		Person: PersonInput{Name: "张小明", Sex: "male", Age: intp(8), HeightCm: 125, Build: "slim",
			Features: "左眉有一颗痣", Clothing: "红色外套，蓝色牛仔裤，白色运动鞋"},
		LastSeen:  LastSeenInput{At: base.Add(-30 * time.Minute).Format(time.RFC3339), Position: &Position{Lat: 38.0, Lng: 114.5, AccuracyM: 20}, Place: "石家庄市长安区某小学门口"},
		Police:    PoliceInput{Unit: "130102", Phone: "0311-86688110", CaseNumber: "A1301020000002025050001"},
		Initiator: InitiatorInput{Name: "张建国", Relation: "parent", Address: "长安区某小区3号楼2单元501"},
	}
}

func code(err error) string { return apperr.CodeOf(err) }

func mustCode(t *testing.T, err error, want string) {
	t.Helper()
	if code(err) != want {
		t.Fatalf("got %v (code %q), want code %q", err, code(err), want)
	}
}

var allChecks = PublishInput{Checks: Checks{InitiatorContacted: true, UnitConfirmed: true, CaseNumberConfirmed: true, Note: "已与长安分局值班室电话核实"}}

var pngHead = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")

func TestWorkflowAndVisibility(t *testing.T) {
	dbtest.Each(t, sets(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, false)
		ctx := context.Background()
		s := e.s

		sub, err := s.Submit(ctx, family, goodSubmission())
		if err != nil {
			t.Fatal(err)
		}
		id := sub.ID
		if sub.State != Submitted || sub.Center.Code != "130100" {
			t.Fatalf("submitted: %+v", sub)
		}
		if sub.LastSeen.City.Code != "130100" || sub.Initiator.Phone != family.Phone {
			t.Fatalf("routing/contact: %+v %+v", sub.LastSeen, sub.Initiator)
		}
		if _, err := s.AddMedia(ctx, family, id, bytes.NewReader(append(slices.Clone(pngHead), make([]byte, 100)...))); err != nil {
			t.Fatal(err)
		}

		// Nothing public before verification.
		_, err = s.Public(ctx, id)
		mustCode(t, err, "notice_not_found")
		if page, err := s.Feed(ctx, FeedQuery{}); err != nil || len(page.Items) != 0 {
			t.Fatalf("feed before publication: %+v %v", page, err)
		}
		_, err = s.AddSighting(ctx, neighbor, id, SightingInput{Text: "见过"}, nil)
		mustCode(t, err, "notice_not_found")
		// Others see nothing; other centres get 404, not 403.
		for _, c := range []Caller{neighbor, otherCity} {
			_, err := s.Get(ctx, c, id)
			mustCode(t, err, "notice_not_found")
		}
		_, err = s.Get(ctx, Caller{}, id)
		mustCode(t, err, "unauthorized")
		_, err = s.StartVerify(ctx, otherCity, id, "")
		mustCode(t, err, "notice_not_found")
		// The centre's dispatcher reads but may not act; the province sees it.
		if _, err := s.Get(ctx, dispatcher, id); err != nil {
			t.Fatal(err)
		}
		_, err = s.StartVerify(ctx, dispatcher, id, "")
		mustCode(t, err, "forbidden")
		if q, err := s.List(ctx, province, nil, 0); err != nil || len(q) != 1 || q[0].Initiator != nil {
			t.Fatalf("province queue: %+v %v", q, err)
		}
		if q, err := s.List(ctx, otherCity, nil, 0); err != nil || len(q) != 0 {
			t.Fatalf("other centre's queue: %+v %v", q, err)
		}
		if q, err := s.List(ctx, handler, nil, 0); err != nil || len(q) != 1 {
			t.Fatalf("centre queue: %+v %v", q, err)
		}
		// Publishing needs verification first, then the checks.
		_, err = s.Publish(ctx, handler, id, allChecks)
		mustCode(t, err, "invalid_state")
		if d, err := s.StartVerify(ctx, handler, id, "联系发起人"); err != nil || d.State != Verifying {
			t.Fatalf("verify: %+v %v", d, err)
		}
		_, err = s.StartVerify(ctx, handler, id, "")
		mustCode(t, err, "invalid_state")
		_, err = s.Publish(ctx, handler, id, PublishInput{Checks: Checks{UnitConfirmed: true}})
		mustCode(t, err, "checks_incomplete")
		pub, err := s.Publish(ctx, handler, id, allChecks)
		if err != nil || pub.State != Published || pub.AlertRadiusKm != 100 {
			t.Fatalf("publish: %+v %v", pub, err)
		}

		// The public view: the unit's phone, never the family's contact,
		// the case number, the home address or the exact position.
		pv, err := s.Public(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if pv.Initiator != nil || pv.Police.Phone != "0311-86688110" || pv.Police.CaseNumber != "" || len(pv.Media) != 1 {
			t.Fatalf("public view: %+v", pv)
		}
		raw := fmt.Sprintf("%+v %+v %+v", pv, *pv.LastSeen, *pv.Police)
		for _, secret := range []string{family.Phone, "13800000001", "3号楼", "A1301020000002025050001", "张建国"} {
			if strings.Contains(raw, secret) {
				t.Fatalf("public view leaks %q: %s", secret, raw)
			}
		}
		if pv.SharePath != "/#/missing/p/"+id {
			t.Fatalf("share path %q", pv.SharePath)
		}
		rc, _, err := s.OpenMedia(ctx, nil, id, pv.Media[0].SHA256)
		if err != nil {
			t.Fatal(err)
		}
		rc.Close()
		if page, err := s.Feed(ctx, FeedQuery{}); err != nil || len(page.Items) != 1 || page.Items[0].ID != id {
			t.Fatalf("feed: %+v %v", page, err)
		}

		// Sightings: a signed-in neighbour (with phone), an anonymous one, one signed out with a photo.
		if _, err := s.AddSighting(ctx, neighbor, id, SightingInput{Text: "下午三点在公园看到一个穿红外套的男孩", Position: &Position{Lat: 38.04, Lng: 114.51}}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddSighting(ctx, stranger, id, SightingInput{Text: "超市门口", Anonymous: true}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddSighting(ctx, Caller{IP: "203.0.113.9"}, id, SightingInput{Text: "公交站"}, bytes.NewReader(pngHead)); err != nil {
			t.Fatal(err)
		}
		_, err = s.AddSighting(ctx, handler, id, SightingInput{Text: "x"}, nil)
		mustCode(t, err, "forbidden")
		_, err = s.Sightings(ctx, otherCity, id)
		mustCode(t, err, "notice_not_found")
		_, err = s.Sightings(ctx, family, id)
		mustCode(t, err, "forbidden")
		list, err := s.Sightings(ctx, handler, id)
		if err != nil || len(list) != 3 {
			t.Fatalf("sightings: %+v %v", list, err)
		}
		phones := 0
		for _, sg := range list {
			if sg.Phone != "" {
				phones++
				if sg.Phone != neighbor.Phone {
					t.Fatalf("phone shown: %+v", sg)
				}
			}
		}
		if phones != 1 {
			t.Fatalf("%d sightings show a phone, want 1 (the others are anonymous)", phones)
		}
		if _, err := s.Triage(ctx, handler, list[2].ID, SightingRelevant, "已派警核查"); err != nil {
			t.Fatal(err)
		}
		_, err = s.Triage(ctx, otherCity, list[2].ID, SightingRelevant, "")
		mustCode(t, err, "sighting_not_found")
		if _, err := s.AddProgress(ctx, handler, id, "已核查两条线索"); err != nil {
			t.Fatal(err)
		}
		// The family sees progress, not the sightings.
		own, err := s.Get(ctx, family, id)
		if err != nil {
			t.Fatal(err)
		}
		if own.Progress.Sightings != 3 || own.Progress.ByStatus[SightingRelevant] != 1 || len(own.Progress.Notes) != 1 || own.Verification != nil {
			t.Fatalf("family's progress: %+v", own.Progress)
		}
		if strings.Contains(fmt.Sprintf("%+v", own), "公园") {
			t.Fatal("the family's view holds a raw sighting")
		}

		// Closed as found: the closure notice replaces the notice.
		_, err = s.Close(ctx, handler, id, "lost", "")
		mustCode(t, err, "invalid_outcome")
		if _, err := s.Close(ctx, handler, id, Found, ""); err != nil {
			t.Fatal(err)
		}
		pv, err = s.Public(ctx, id)
		if err != nil || pv.State != Closed || pv.Closure == nil || pv.Closure.Outcome != Found || !strings.Contains(pv.Closure.Notice, "已找到") {
			t.Fatalf("closure: %+v %v", pv, err)
		}
		if pv.Person.Features != "" || len(pv.Media) != 0 || pv.Police != nil {
			t.Fatalf("closed notice still shows the notice: %+v", pv)
		}
		_, _, err = s.OpenMedia(ctx, nil, id, own.Media[0].SHA256)
		mustCode(t, err, "notice_not_found")
		_, err = s.AddSighting(ctx, neighbor, id, SightingInput{Text: "x"}, nil)
		mustCode(t, err, "invalid_state")
		if page, _ := s.Feed(ctx, FeedQuery{}); len(page.Items) != 0 {
			t.Fatal("closed notice still in the published feed")
		}
		if page, _ := s.Feed(ctx, FeedQuery{State: Closed}); len(page.Items) != 1 {
			t.Fatal("closure notice not in the closed feed")
		}
		_, err = s.Close(ctx, handler, id, Hoax, "")
		mustCode(t, err, "invalid_state")

		// Every state change is audited.
		es, err := e.audit.List(ctx, audit.Filter{Object: "missing:" + id, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, en := range es {
			actions = append(actions, en.Action)
		}
		for _, want := range []string{"missing.submit", "missing.media.add", "missing.verify.start", "missing.publish", "missing.close", "missing.view", "missing.progress"} {
			if !slices.Contains(actions, want) {
				t.Errorf("no audit entry %s in %v", want, actions)
			}
		}
	})
}

func TestRejectWithdrawDuplicate(t *testing.T) {
	dbtest.Each(t, sets(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, true) // every county runs its centre: 长安区's own
		ctx := context.Background()
		s := e.s
		own := officer("h130102", account.Handler, "130102")
		a, err := s.Submit(ctx, family, goodSubmission())
		if err != nil {
			t.Fatal(err)
		}
		if a.Center.Code != "130102" {
			t.Fatalf("centre %v, want the county's own", a.Center)
		}
		// The city centre is not responsible for it.
		_, err = s.Get(ctx, handler, a.ID)
		mustCode(t, err, "notice_not_found")
		_, err = s.Submit(ctx, neighbor, goodSubmission())
		mustCode(t, err, "duplicate_case")
		_, err = s.Reject(ctx, own, a.ID, "  ", nil)
		mustCode(t, err, "missing_field")
		if _, err := s.Reject(ctx, own, a.ID, "受理单位未查到该案件编号", &Checks{UnitConfirmed: false}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, family, a.ID)
		if err != nil || got.State != Rejected || got.RejectReason != "受理单位未查到该案件编号" {
			t.Fatalf("family's view after reject: %+v %v", got, err)
		}
		_, err = s.Public(ctx, a.ID)
		mustCode(t, err, "notice_not_found")
		_, err = s.Close(ctx, own, a.ID, Found, "")
		mustCode(t, err, "invalid_state")
		// A rejected case number may be submitted again; the initiator withdraws it.
		b, err := s.Submit(ctx, family, goodSubmission())
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Withdraw(ctx, neighbor, b.ID)
		mustCode(t, err, "notice_not_found")
		if w, err := s.Withdraw(ctx, family, b.ID); err != nil || w.State != Closed || w.Closure.Outcome != Withdrawn {
			t.Fatalf("withdraw: %+v %v", w, err)
		}
		_, err = s.Public(ctx, b.ID)
		mustCode(t, err, "notice_not_found")
		mine, err := s.List(ctx, family, nil, 0)
		if err != nil || len(mine) != 2 {
			t.Fatalf("mine: %d %v", len(mine), err)
		}
		// A published notice cannot be withdrawn by the family.
		c, err := s.Submit(ctx, family, goodSubmission())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.StartVerify(ctx, own, c.ID, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Publish(ctx, own, c.ID, allChecks); err != nil {
			t.Fatal(err)
		}
		_, err = s.Withdraw(ctx, family, c.ID)
		mustCode(t, err, "invalid_state")
		_, err = s.AddMedia(ctx, family, c.ID, bytes.NewReader(pngHead))
		mustCode(t, err, "invalid_state")
	})
}

func TestBadInput(t *testing.T) {
	dbtest.Each(t, sets(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, false)
		ctx := context.Background()
		for _, tc := range []struct {
			name string
			mod  func(*Submission)
			code string
		}{
			{"no name", func(s *Submission) { s.Person.Name = " " }, "missing_field"},
			{"no sex", func(s *Submission) { s.Person.Sex = "" }, "missing_field"},
			{"bad sex", func(s *Submission) { s.Person.Sex = "x" }, "invalid_sex"},
			{"no age", func(s *Submission) { s.Person.Age = nil }, "missing_field"},
			{"age 131", func(s *Submission) { s.Person.Age = intp(131) }, "invalid_age"},
			{"age negative", func(s *Submission) { s.Person.Age = intp(-1) }, "invalid_age"},
			{"birth date in future", func(s *Submission) { s.Person.Age = nil; s.Person.BirthDate = "2030-01-01" }, "invalid_birth_date"},
			{"birth date malformed", func(s *Submission) { s.Person.Age = nil; s.Person.BirthDate = "1.1.2000" }, "invalid_birth_date"},
			{"birth 140 years ago", func(s *Submission) { s.Person.Age = nil; s.Person.BirthDate = "1885-01-01" }, "invalid_age"},
			{"age vs birth date", func(s *Submission) { s.Person.BirthDate = "1990-01-01" }, "age_mismatch"},
			{"height", func(s *Submission) { s.Person.HeightCm = 400 }, "invalid_height"},
			{"build", func(s *Submission) { s.Person.Build = "huge" }, "invalid_build"},
			{"no description", func(s *Submission) { s.Person.Features, s.Person.Clothing = "", "" }, "missing_description"},
			{"long features", func(s *Submission) { s.Person.Features = strings.Repeat("痣", 1001) }, "field_too_long"},
			{"control chars", func(s *Submission) { s.Person.Features = "a\x00b" }, "invalid_text"},
			{"no time", func(s *Submission) { s.LastSeen.At = "" }, "missing_field"},
			{"bad time", func(s *Submission) { s.LastSeen.At = "yesterday" }, "invalid_time"},
			{"future last seen", func(s *Submission) { s.LastSeen.At = base.Add(time.Hour).Format(time.RFC3339) }, "last_seen_in_future"},
			{"before birth", func(s *Submission) {
				s.Person.Age = nil
				s.Person.BirthDate = "2025-05-31"
				s.LastSeen.At = "2025-05-01T00:00:00Z"
			}, "last_seen_before_birth"},
			{"no position", func(s *Submission) { s.LastSeen.Position = nil }, "missing_field"},
			{"bad position", func(s *Submission) { s.LastSeen.Position = &Position{Lat: 95, Lng: 114} }, "invalid_position"},
			{"no place", func(s *Submission) { s.LastSeen.Place = "" }, "missing_field"},
			{"no unit", func(s *Submission) { s.Police.Unit = "" }, "missing_field"},
			{"malformed unit", func(s *Submission) { s.Police.Unit = "13A102" }, "invalid_unit"},
			{"unit in Beijing", func(s *Submission) { s.Police.Unit = "110105" }, "unit_outside_hebei"},
			{"unknown unit", func(s *Submission) { s.Police.Unit = "139999" }, "unknown_unit"},
			{"unit phone", func(s *Submission) { s.Police.Phone = "12345" }, "invalid_unit_phone"},
			{"case number format", func(s *Submission) { s.Police.CaseNumber = "2025-123" }, "invalid_case_number"},
			{"case number letter", func(s *Submission) { s.Police.CaseNumber = "B1301020000002025050001" }, "invalid_case_number"},
			{"case number month", func(s *Submission) { s.Police.CaseNumber = "A1301020000002025130001" }, "invalid_case_number"},
			{"case number future", func(s *Submission) { s.Police.CaseNumber = "A1301020000002025070001" }, "invalid_case_number"},
			{"case number other unit", func(s *Submission) { s.Police.CaseNumber = "A1302020000002025050001" }, "case_number_unit_mismatch"},
			{"no relation", func(s *Submission) { s.Initiator.Relation = "" }, "missing_field"},
			{"bad relation", func(s *Submission) { s.Initiator.Relation = "boss" }, "invalid_relation"},
			{"bad contact", func(s *Submission) { s.Initiator.Phone = "999" }, "invalid_phone"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				in := goodSubmission()
				tc.mod(&in)
				_, err := e.s.Submit(ctx, family, in)
				mustCode(t, err, tc.code)
				if e := apperr.From(err); e.Kind == apperr.Internal {
					t.Fatalf("internal: %v", err)
				}
			})
		}
		var n int
		if err := d.QueryRow(ctx, "SELECT COUNT(*) FROM missing_notices").Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d notices stored after bad input (%v)", n, err)
		}
		// Accepted variants: birth date only; case number with spaces in lower case; a city unit with a county's number.
		in := goodSubmission()
		in.Person.Age, in.Person.BirthDate = nil, "2017-03-15"
		in.Police.CaseNumber = "a 130102 000000 202505 0002"
		in.Police.Unit = "130100"
		in.Police.Phone = "(0311)86688110"
		got, err := e.s.Submit(ctx, family, in)
		if err != nil {
			t.Fatal(err)
		}
		if *got.Person.Age != 8 || got.Police.CaseNumber != "A1301020000002025050002" || got.Police.Phone != "0311-86688110" {
			t.Fatalf("normalised: %+v %+v", got.Person, got.Police)
		}
		_, err = e.s.Submit(ctx, handler, goodSubmission())
		mustCode(t, err, "forbidden")
		_, err = e.s.Submit(ctx, Caller{}, goodSubmission())
		mustCode(t, err, "unauthorized")
	})
}

// zeros is an endless reader of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestMediaLimits(t *testing.T) {
	dbtest.Each(t, sets(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, false)
		ctx := context.Background()
		n, err := e.s.Submit(ctx, family, goodSubmission())
		if err != nil {
			t.Fatal(err)
		}
		count := func() int {
			var k int
			if err := d.QueryRow(ctx, "SELECT COUNT(*) FROM missing_media").Scan(&k); err != nil {
				t.Fatal(err)
			}
			return k
		}
		_, err = e.s.AddMedia(ctx, family, n.ID, strings.NewReader("<html>not a photo</html>"))
		mustCode(t, err, "unsupported_media")
		_, err = e.s.AddMedia(ctx, family, n.ID, strings.NewReader(""))
		mustCode(t, err, "media_empty")
		heic := append([]byte("\x00\x00\x00\x18ftypheic"), make([]byte, 40)...)
		_, err = e.s.AddMedia(ctx, family, n.ID, bytes.NewReader(heic))
		mustCode(t, err, "unsupported_media")
		big := io.MultiReader(bytes.NewReader(pngHead), io.LimitReader(zeros{}, MaxPhotoBytes))
		_, err = e.s.AddMedia(ctx, family, n.ID, big)
		mustCode(t, err, "media_too_large")
		_, err = e.s.AddMedia(ctx, neighbor, n.ID, bytes.NewReader(pngHead))
		mustCode(t, err, "notice_not_found")
		if count() != 0 {
			t.Fatal("refused media stored")
		}
		mp4 := append([]byte("\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41"), make([]byte, 64)...)
		m, err := e.s.AddMedia(ctx, family, n.ID, bytes.NewReader(mp4))
		if err != nil || m.Kind != "video" || m.ContentType != "video/mp4" {
			t.Fatalf("mp4: %+v %v", m, err)
		}
		for i := 0; i < MaxMedia-1; i++ {
			b := append(slices.Clone(pngHead), byte(i))
			if _, err := e.s.AddMedia(ctx, family, n.ID, bytes.NewReader(b)); err != nil {
				t.Fatal(err)
			}
		}
		_, err = e.s.AddMedia(ctx, family, n.ID, bytes.NewReader(append(slices.Clone(pngHead), 0xff, 0xfe)))
		mustCode(t, err, "too_many_media")
		if count() != MaxMedia {
			t.Fatalf("%d media, want %d", count(), MaxMedia)
		}
		// The blob is content-addressed and checked on the way out.
		rc, mv, err := e.s.OpenMedia(ctx, &family, n.ID, m.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(b, mp4) || mv.ContentType != "video/mp4" {
			t.Fatalf("read back: %d bytes %v", len(b), err)
		}
		// A sighting takes photos only.
		_, err = e.s.StartVerify(ctx, handler, n.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.Publish(ctx, handler, n.ID, allChecks); err != nil {
			t.Fatal(err)
		}
		_, err = e.s.AddSighting(ctx, neighbor, n.ID, SightingInput{Text: "x"}, bytes.NewReader(mp4))
		mustCode(t, err, "unsupported_media")
	})
}

// at is a user at latitude lat on the meridian 114.5°E (the notice is at 38.0, 114.5).
func optIn(t *testing.T, e *env, id string, lat float64) {
	t.Helper()
	if _, err := e.s.SetArea(context.Background(), citizen(id, ""), AreaInput{Point: &Position{Lat: lat, Lng: 114.5}}); err != nil {
		t.Fatal(err)
	}
}

func inbox(t *testing.T, e *env, id string) map[string]int {
	t.Helper()
	in, err := e.s.Inbox(context.Background(), citizen(id, ""), 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, it := range in.Items {
		out[it.Kind]++
	}
	return out
}

func TestAlertAudience(t *testing.T) {
	dbtest.Each(t, sets(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, false)
		ctx := context.Background()
		s := e.s
		// Distances from (38.0, 114.5): ~33, ~156, ~278, ~389, ~600 km north.
		users := map[string]float64{"u033": 38.3, "u156": 39.4, "u278": 40.5, "u389": 41.5, "u600": 43.4}
		for id, lat := range users {
			optIn(t, e, id, lat)
		}
		// A county opt-in: 长安区's label point is a few km from the notice.
		if v, err := s.SetArea(ctx, citizen("ucounty", ""), AreaInput{County: "130102"}); err != nil || v.County.Code != "130102" {
			t.Fatalf("county opt-in: %+v %v", v, err)
		}
		// A user who opts in and out again gets nothing.
		optIn(t, e, "uout", 38.1)
		if err := s.DisableArea(ctx, citizen("uout", "")); err != nil {
			t.Fatal(err)
		}
		_, err := s.SetArea(ctx, citizen("ubad", ""), AreaInput{County: "110105"})
		mustCode(t, err, "invalid_area_unit")
		_, err = s.SetArea(ctx, citizen("ubad", ""), AreaInput{})
		mustCode(t, err, "area_required")

		n, err := s.Submit(ctx, family, goodSubmission()) // last seen 30 min ago
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.StartVerify(ctx, handler, n.ID, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Publish(ctx, handler, n.ID, allChecks); err != nil {
			t.Fatal(err)
		}
		r := e.notes.last()
		if r.n.Kind != "alert" || r.n.RadiusKm != 100 || !slices.Equal(r.aud, []string{"u033", "ucounty"}) {
			t.Fatalf("first ring: %+v", r)
		}
		if got := inbox(t, e, "u033"); got["alert"] != 1 {
			t.Fatalf("u033 inbox %v", got)
		}
		if got := inbox(t, e, "u156"); len(got) != 0 {
			t.Fatalf("u156 inbox %v before widening", got)
		}
		// Nothing is due yet.
		if k, err := s.WidenDue(ctx); err != nil || k != 0 {
			t.Fatalf("widen early: %d %v", k, err)
		}
		// 1 h after last seen: 200 km, only the newly covered.
		e.clk.Add(31 * time.Minute)
		if k, err := s.WidenDue(ctx); err != nil || k != 1 {
			t.Fatalf("widen at 1 h: %d %v", k, err)
		}
		if r := e.notes.last(); r.n.RadiusKm != 200 || r.n.PrevRadiusKm != 100 || !slices.Equal(r.aud, []string{"u156"}) {
			t.Fatalf("second ring: %+v", r)
		}
		if k, _ := s.WidenDue(ctx); k != 0 {
			t.Fatal("widened twice")
		}
		// A user who opts in now near the place gets no old alert; u156 joins.
		optIn(t, e, "ulate", 38.2)
		// Missed ticks: at 3 h 10 the ring jumps straight to 500 km.
		e.clk.Add(2*time.Hour + 10*time.Minute)
		if k, err := s.WidenDue(ctx); err != nil || k != 1 {
			t.Fatalf("widen at 3 h: %d %v", k, err)
		}
		if r := e.notes.last(); r.n.RadiusKm != 500 || !slices.Equal(r.aud, []string{"u278", "u389"}) {
			t.Fatalf("third ring: %+v", r)
		}
		e.clk.Add(24 * time.Hour)
		if k, _ := s.WidenDue(ctx); k != 0 {
			t.Fatal("widened beyond 500 km")
		}
		for id, want := range map[string]int{"u033": 1, "ucounty": 1, "u156": 1, "u278": 1, "u389": 1, "u600": 0, "uout": 0, "ulate": 0} {
			if got := inbox(t, e, id)["alert"]; got != want {
				t.Errorf("%s: %d alerts, want %d", id, got, want)
			}
		}
		// The closure reaches everyone alerted, and no one else.
		if _, err := s.Close(ctx, handler, n.ID, Found, "张小明已于今日找到，感谢大家！"); err != nil {
			t.Fatal(err)
		}
		if r := e.notes.last(); r.n.Kind != "closure" || !slices.Equal(r.aud, []string{"u033", "u156", "u278", "u389", "ucounty", "ulate"}) {
			t.Fatalf("closure audience: %+v", r)
		}
		for id, want := range map[string]int{"u033": 1, "ucounty": 1, "u156": 1, "u278": 1, "u389": 1, "u600": 0, "uout": 0, "ulate": 0} {
			if got := inbox(t, e, id)["closure"]; got != want {
				t.Errorf("%s: %d closures, want %d", id, got, want)
			}
		}
		in, err := s.Inbox(ctx, citizen("u156", ""), 0)
		if err != nil || in.Unread != 2 || in.Items[0].Kind != "closure" || in.Items[0].Notice.Closure == nil {
			t.Fatalf("u156 inbox: %+v %v", in, err)
		}
		if err := s.MarkRead(ctx, citizen("u156", ""), in.Cursor); err != nil {
			t.Fatal(err)
		}
		if in, _ := s.Inbox(ctx, citizen("u156", ""), 0); in.Unread != 0 {
			t.Fatalf("unread after mark read: %d", in.Unread)
		}
		// The live stream of an alerted citizen carries the alert and the closure.
		evs, err := s.LiveEvents(ctx, citizen("u389", ""), 0)
		if err != nil || len(evs) != 2 || evs[0].Kind != "alert" || evs[1].Kind != "closure" {
			t.Fatalf("u389 live: %+v %v", evs, err)
		}
		// The family's live stream: their notice's states, not alerts (they did not opt in).
		evs, err = s.LiveEvents(ctx, family, 0)
		if err != nil || len(evs) == 0 {
			t.Fatalf("family live: %v", err)
		}
		for _, ev := range evs {
			if ev.Kind == evSighting || ev.Kind == evAlert {
				t.Fatalf("family sees %s", ev.Kind)
			}
		}
		// The console of another centre sees none of it.
		if evs, _ := s.LiveEvents(ctx, otherCity, 0); len(evs) != 0 {
			t.Fatalf("other centre's live: %+v", evs)
		}
	})
}

func TestPublishedLateStartsWide(t *testing.T) {
	dbtest.Each(t, sets(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, false)
		ctx := context.Background()
		in := goodSubmission()
		in.LastSeen.At = base.Add(-26 * time.Hour).Format(time.RFC3339)
		n, err := e.s.Submit(ctx, family, in)
		if err != nil {
			t.Fatal(err)
		}
		e.s.StartVerify(ctx, handler, n.ID, "")
		p, err := e.s.Publish(ctx, handler, n.ID, allChecks)
		if err != nil || p.AlertRadiusKm != 500 {
			t.Fatalf("publish a day later: %+v %v", p, err)
		}
		if k, _ := e.s.WidenDue(ctx); k != 0 {
			t.Fatal("a 500 km ring widened")
		}
	})
}

func TestFeedFilters(t *testing.T) {
	dbtest.Each(t, sets(), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, false)
		ctx := context.Background()
		// Shijiazhuang (130100), Baoding (130600), Tangshan (130200).
		places := []struct {
			lat, lng float64
			unit     string
		}{{38.04, 114.51, "130102"}, {38.87, 115.46, "130602"}, {39.63, 118.18, "130202"}, {38.05, 114.52, "130102"}}
		var ids []string
		for i, p := range places {
			in := goodSubmission()
			in.LastSeen.Position = &Position{Lat: p.lat, Lng: p.lng}
			in.Police.Unit = p.unit
			in.Police.CaseNumber = fmt.Sprintf("A%s000000202505%04d", p.unit, i+1)
			n, err := e.s.Submit(ctx, family, in)
			if err != nil {
				t.Fatal(err)
			}
			off := officer("h"+n.Center.Code, account.Handler, n.Center.Code)
			if _, err := e.s.StartVerify(ctx, off, n.ID, ""); err != nil {
				t.Fatal(err)
			}
			if _, err := e.s.Publish(ctx, off, n.ID, allChecks); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, n.ID)
			e.clk.Add(time.Minute)
		}
		page, err := e.s.Feed(ctx, FeedQuery{})
		if err != nil || len(page.Items) != 4 || page.Items[0].ID != ids[3] || page.Items[3].ID != ids[0] {
			t.Fatalf("newest first: %+v %v", page, err)
		}
		page, _ = e.s.Feed(ctx, FeedQuery{City: "130100"})
		if len(page.Items) != 2 {
			t.Fatalf("city filter: %d", len(page.Items))
		}
		_, err = e.s.Feed(ctx, FeedQuery{City: "130102"})
		mustCode(t, err, "invalid_city")
		page, _ = e.s.Feed(ctx, FeedQuery{Near: &Position{Lat: 38.0, Lng: 114.5}, WithinKm: 150})
		if len(page.Items) != 3 || page.Items[0].DistanceKm == nil {
			t.Fatalf("within 150 km: %d", len(page.Items))
		}
		_, err = e.s.Feed(ctx, FeedQuery{Near: &Position{Lat: 38.0, Lng: 114.5}})
		mustCode(t, err, "invalid_radius")
		// Pages of one, following the cursor.
		var seen []string
		q := FeedQuery{Limit: 1}
		for i := 0; i < 10; i++ {
			page, err := e.s.Feed(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range page.Items {
				seen = append(seen, it.ID)
			}
			if page.Next == "" {
				break
			}
			q.Before = page.Next
		}
		if len(seen) != 4 || seen[0] != ids[3] || seen[3] != ids[0] {
			t.Fatalf("paged: %v", seen)
		}
		_, err = e.s.Feed(ctx, FeedQuery{Before: "garbage"})
		mustCode(t, err, "invalid_cursor")
	})
}

func TestAreaIndex(t *testing.T) {
	x := NewAreaIndex()
	x.Set("a", 38.0, 114.5)
	x.Set("b", 38.0, 114.5)
	x.Set("c", 40.0, 114.5)
	x.Set("a", 41.0, 114.5) // moves
	x.Remove("b")
	x.Remove("nobody")
	if x.Len() != 2 {
		t.Fatalf("len %d", x.Len())
	}
	if got := x.Audience(38.0, 114.5, -1, 100); len(got) != 0 {
		t.Fatalf("within 100: %v", got)
	}
	got := x.Audience(38.0, 114.5, 100, 500)
	slices.Sort(got)
	if !slices.Equal(got, []string{"a", "c"}) {
		t.Fatalf("100–500: %v", got)
	}
	// Many users on few points, random churn: the index agrees with a scan.
	x.Remove("a")
	x.Remove("c")
	pts := [][2]float64{{38, 114.5}, {39, 115}, {40, 116}, {37, 114}, {41.5, 117.5}}
	want := map[string][2]float64{}
	b := make([]byte, 2)
	for i := 0; i < 5000; i++ {
		rand.Read(b)
		id := fmt.Sprintf("u%d", int(b[0])%200)
		if b[1]%5 == 0 {
			x.Remove(id)
			delete(want, id)
			continue
		}
		p := pts[int(b[1])%len(pts)]
		x.Set(id, p[0], p[1])
		want[id] = p
	}
	got = x.Audience(38.0, 114.5, 50, 300)
	slices.Sort(got)
	var exp []string
	for id, p := range want {
		if d := DistanceKm(38.0, 114.5, p[0], p[1]); d > 50 && d <= 300 {
			exp = append(exp, id)
		}
	}
	slices.Sort(exp)
	if !slices.Equal(got, exp) || x.Len() != len(want) {
		t.Fatalf("index disagrees with a scan: %d vs %d", len(got), len(exp))
	}
}

func TestRadiusSchedule(t *testing.T) {
	for _, tc := range []struct {
		el        time.Duration
		km        int
		nextAfter time.Duration
	}{{0, 100, time.Hour}, {59 * time.Minute, 100, time.Hour}, {time.Hour, 200, 2 * time.Hour}, {150 * time.Minute, 300, 3 * time.Hour}, {3 * time.Hour, 500, 0}, {-time.Minute, 100, time.Hour}} {
		km, next := RadiusKm(tc.el)
		if km != tc.km || next != tc.nextAfter {
			t.Errorf("RadiusKm(%v) = %d, %v; want %d, %v", tc.el, km, next, tc.km, tc.nextAfter)
		}
	}
}

func TestNormalizers(t *testing.T) {
	for in, want := range map[string]string{"0311-86688110": "0311-86688110", "031186688110": "0311-86688110", "010-12345678": "010-12345678",
		"01012345678": "010-12345678", "13800138000": "+8613800138000", "(0312)1234567": "0312-1234567"} {
		if got, err := NormalizeUnitPhone(in); err != nil || got != want {
			t.Errorf("%s → %s %v, want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"110", "0311-123", "abc", "0311-123456789"} {
		if _, err := NormalizeUnitPhone(bad); code(err) != "invalid_unit_phone" {
			t.Errorf("%s accepted (%v)", bad, err)
		}
	}
	if !errors.Is(ErrBadState.Msg("x"), ErrBadState) {
		t.Fatal("errors.Is by code")
	}
}
