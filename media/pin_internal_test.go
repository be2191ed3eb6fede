package media

import (
	"context"
	"encoding/base64"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"open110/account"
	"open110/audit"
	"open110/platform/api"
	"open110/platform/apperr"
	"open110/platform/blob"
	"open110/platform/db"
	"open110/platform/db/dbtest"
	"open110/platform/fakeclock"
)

// TestPinClaims: the first claim wins; another node's claim returns the
// holder while its heartbeat is fresh and takes over once it is stale;
// the old holder then learns it no longer holds the room; release and a
// restarted node's cleanup drop claims.
func TestPinClaims(t *testing.T) {
	dbtest.Each(t, []db.Migrations{Migrations()}, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clk := fakeclock.New(time.Date(2026, 11, 27, 20, 0, 0, 0, time.UTC))
		node := func(id, url string) *pins {
			p := &pins{db: d, now: clk.Now, nodeID: id, nodeURL: func() string { return url }, ttl: 5 * time.Second, interval: time.Second}
			p.dbUpSince.Store(clk.Now().Add(-time.Hour).UnixNano()) // the database has been up a while
			return p
		}
		a, b := node("aaaa", "http://a:8110"), node("bbbb", "http://b:8110")
		claim := func(p *pins, alarm, want string) holder {
			t.Helper()
			h, err := p.claim(ctx, alarm)
			if err != nil || h.NodeID != want {
				t.Fatalf("%s claims %s: holder %+v, %v; want %s", p.nodeID, alarm, h, err, want)
			}
			return h
		}
		claim(a, "x1", "aaaa")
		first := claim(a, "x1", "aaaa")
		claim(b, "x1", "aaaa") // fresh: stays with A
		if h, _ := b.claim(ctx, "x1"); h.URL != "http://a:8110" {
			t.Fatalf("holder URL %q", h.URL)
		}
		clk.Add(time.Millisecond)
		again := claim(a, "x1", "aaaa") // A again (a new room there): still A, a newer claim
		if again.ClaimedAt == first.ClaimedAt {
			t.Fatal("a re-claim kept the old claim time: the old room's release would drop the new claim")
		}
		if err := a.release(ctx, "x1", first.ClaimedAt); err != nil { // the old room ends late
			t.Fatal(err)
		}
		claim(b, "x1", "aaaa") // the newer claim stands
		clk.Add(4 * time.Second)
		if held, err := a.heartbeat(ctx); err != nil || !held["x1"] {
			t.Fatalf("A's heartbeat: %v %v", held, err)
		}
		clk.Add(4 * time.Second) // 4 s since the heartbeat: fresh
		claim(b, "x1", "aaaa")
		clk.Add(2 * time.Second) // 6 s: stale
		b.dbUpSince.Store(clk.Now().Add(-time.Second).UnixNano())
		claim(b, "x1", "aaaa") // but B has seen the database up for 1 s only: no take-over yet
		b.dbUpSince.Store(clk.Now().Add(-time.Hour).UnixNano())
		bx := claim(b, "x1", "bbbb")
		if held, err := a.heartbeat(ctx); err != nil || held["x1"] {
			t.Fatalf("A still thinks it holds x1: %v %v", held, err)
		}
		claim(a, "x1", "bbbb")

		// Release is only the holder's.
		if err := a.release(ctx, "x1", bx.ClaimedAt); err != nil {
			t.Fatal(err)
		}
		claim(a, "x1", "bbbb")
		if err := b.release(ctx, "x1", bx.ClaimedAt); err != nil {
			t.Fatal(err)
		}
		claim(a, "x1", "aaaa")

		// A restarts (new process, new ID, same URL): its old claims go.
		a2 := node("a2a2", "http://a:8110")
		claim(b, "x1", "aaaa")
		if n, err := a2.forgetPreviousLife(ctx); err != nil || n != 1 {
			t.Fatalf("previous life's claims dropped: %d %v", n, err)
		}
		claim(b, "x1", "bbbb")

		// An idle claim (no room followed) is dropped once old enough.
		claim(a2, "x2", "a2a2")
		if err := a2.releaseIfIdle(ctx, "x2", clk.Now().Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		claim(b, "x2", "a2a2") // made just now: kept
		clk.Add(2 * time.Second)
		if err := a2.releaseIfIdle(ctx, "x2", clk.Now().Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		claim(b, "x2", "bbbb")
	})
}

// TestForwardedRequestNotForwardedAgain: a request another node forwarded
// here, for a room a third node holds, is refused for a retry instead of
// travelling on.
func TestForwardedRequestNotForwardedAgain(t *testing.T) {
	dbtest.Each(t, []db.Migrations{Migrations()}, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := &Service{rooms: map[string]*room{}, pins: &pins{db: d, now: time.Now, nodeID: "me", nodeURL: func() string { return "http://me" }, ttl: time.Minute, interval: time.Second}}
		s.pins.dbUpSince.Store(1)
		other := &pins{db: d, now: time.Now, nodeID: "other", nodeURL: func() string { return "http://other" }, ttl: time.Minute, interval: time.Second}
		if _, err := other.claim(ctx, "y1"); err != nil {
			t.Fatal(err)
		}
		a := Alarm{ID: "y1", Kind: KindVideo, State: "queued"}
		r := httptest.NewRequest("GET", "/api/v1/alarms/y1/rtc", nil)
		if h, _, err := s.place(ctx, r, a, false); err != nil || h == nil || h.NodeID != "other" {
			t.Fatalf("direct request: %+v %v, want forwarding to other", h, err)
		}
		r = r.WithContext(api.WithForwarded(r.Context()))
		if _, _, err := s.place(ctx, r, a, false); apperr.CodeOf(err) != "media_node_unavailable" {
			t.Fatalf("forwarded request: %v, want media_node_unavailable", err)
		}
		// A text alarm whose video-link room lives on another node: its
		// dispatcher is forwarded there, and nothing is claimed.
		if _, err := other.claim(ctx, "y3"); err != nil {
			t.Fatal(err)
		}
		if h, _, err := s.place(ctx, httptest.NewRequest("GET", "/", nil), Alarm{ID: "y3", Kind: "text"}, false); err != nil || h == nil || h.NodeID != "other" {
			t.Fatalf("text alarm with a link room elsewhere: %+v %v", h, err)
		}
		// A text alarm has no room: nothing is claimed.
		if _, _, err := s.place(ctx, httptest.NewRequest("GET", "/", nil), Alarm{ID: "y2", Kind: "text"}, false); apperr.CodeOf(err) != "no_media" {
			t.Fatalf("text alarm: %v", err)
		}
		var n int
		if err := d.QueryRow(ctx, "SELECT COUNT(*) FROM media_rooms WHERE alarm_id = 'y2'").Scan(&n); err != nil || n != 0 {
			t.Fatalf("claims for a text alarm: %d %v", n, err)
		}
	})
}

// TestPlayTickets: a ticket names its segment to any node with the key
// until it expires; edited, foreign-keyed or garbled tickets are refused.
func TestPlayTickets(t *testing.T) {
	clk := fakeclock.New(time.Date(2026, 11, 27, 20, 0, 0, 0, time.UTC))
	s := &Service{cfg: Config{NodeKey: []byte("0123456789abcdef0123456789abcdef")}, now: clk.Now}
	other := &Service{cfg: Config{NodeKey: []byte("fedcba9876543210fedcba9876543210")}, now: clk.Now}
	sha := strings.Repeat("ab", 32)
	tok, err := s.playTicket(sha, clk.Now().Add(ticketTTL))
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := s.readTicket(tok); !ok || got != sha {
		t.Fatalf("read back: %q %v", got, ok)
	}
	peer := &Service{cfg: s.cfg, now: clk.Now} // another node of the cluster
	if got, ok := peer.readTicket(tok); !ok || got != sha {
		t.Fatalf("another node with the key: %q %v", got, ok)
	}
	if _, ok := other.readTicket(tok); ok {
		t.Fatal("a node with another key accepted the ticket")
	}
	raw, _ := base64.RawURLEncoding.DecodeString(tok)
	for i := range raw {
		b := append([]byte(nil), raw...)
		b[i] ^= 1
		if _, ok := s.readTicket(base64.RawURLEncoding.EncodeToString(b)); ok {
			t.Fatalf("ticket with byte %d flipped accepted", i)
		}
	}
	for _, bad := range []string{"", "x", tok + "A", tok[:len(tok)-2], strings.Repeat("A", 200), "!!!!"} {
		if _, ok := s.readTicket(bad); ok {
			t.Fatalf("garbage ticket %q accepted", bad)
		}
	}
	if _, err := s.playTicket("not-a-hash", clk.Now()); err == nil {
		t.Fatal("ticket for a non-hash")
	}
	clk.Add(ticketTTL + time.Second)
	if _, ok := s.readTicket(tok); ok {
		t.Fatal("expired ticket accepted")
	}
}

// FuzzPlayTicket: any string is either refused or names a 64-hex hash.
func FuzzPlayTicket(f *testing.F) {
	s := &Service{cfg: Config{NodeKey: []byte("0123456789abcdef0123456789abcdef")}, now: time.Now}
	tok, _ := s.playTicket(strings.Repeat("0f", 32), time.Now().Add(time.Hour))
	f.Add(tok)
	f.Add("")
	f.Add(strings.Repeat("A", 75))
	f.Fuzz(func(t *testing.T, in string) {
		sha, ok := s.readTicket(in)
		if ok && len(sha) != 64 {
			t.Fatalf("accepted %q naming %q", in, sha)
		}
	})
}

// closedAlarms is a stand-in for the alarm feature: every alarm is closed.
type closedAlarms struct{}

func (closedAlarms) Access(context.Context, account.Principal, string) (Grant, error) {
	return Grant{}, apperr.ErrNotFound
}
func (closedAlarms) Get(_ context.Context, id string) (Alarm, error) {
	return Alarm{ID: id, Kind: KindVideo, State: "closed"}, nil
}

// TestManifestSweep: an alarm closed without its manifest written (the
// close event was missed, or its node died before writing) gets one from
// the sweep, once; an alarm whose room is live elsewhere does not.
func TestManifestSweep(t *testing.T) {
	dbtest.Each(t, []db.Migrations{audit.Migrations(), Migrations()}, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		bs, err := blob.OpenFS(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		lg := audit.New(d, nil)
		s, err := New(ctx, Config{DataDir: t.TempDir()}, Deps{DB: d, Blob: bs, Audit: lg, Alarms: closedAlarms{}})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		now := time.Now()
		for i, id := range []string{"missed1", "busy1"} {
			if _, err := d.Exec(ctx, `INSERT INTO media_segments (alarm_id, track, seq, started_at, ended_at, sha256, size, codecs, stored_at)
				VALUES ($1, 'caller', 0, 1, 2, $2, 10, 'vp8,opus', $3)`, id, strings.Repeat(string(rune('c'+i)), 64), db.Micros(now)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := d.Exec(ctx, "INSERT INTO media_rooms (alarm_id, node_id, node_url, claimed_at, heartbeat_at) VALUES ('busy1', 'alive', 'http://alive', $1, $1)",
			db.Micros(now)); err != nil {
			t.Fatal(err)
		}
		s.sweepManifests(ctx)
		s.sweepManifests(ctx)
		ents, err := lg.List(ctx, audit.Filter{Action: "media.recording.manifest"})
		if err != nil {
			t.Fatal(err)
		}
		if len(ents) != 1 || ents[0].Object != "alarm:missed1" {
			t.Fatalf("manifests after two sweeps: %+v", ents)
		}
	})
}

// TestConcurrentJoinsReleaseTheStandingClaim: two participants reach one
// node before its room exists; each claims (the second claim replaces the
// first), one room serves both, and when it ends the claim that stands is
// the one released — no claim is left behind.
func TestConcurrentJoinsReleaseTheStandingClaim(t *testing.T) {
	dbtest.Each(t, []db.Migrations{audit.Migrations(), Migrations()}, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		bs, err := blob.OpenFS(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		clk := fakeclock.New(time.Now())
		s, err := New(ctx, Config{DataDir: t.TempDir(), LoopbackOnly: true}, Deps{DB: d, Blob: bs, Audit: audit.New(d, nil), Alarms: closedAlarms{}, Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		a := Alarm{ID: "z1", Kind: KindVideo, State: "queued"}
		req := httptest.NewRequest("GET", "/", nil)
		_, c1, err := s.place(ctx, req, a, false)
		if err != nil || c1 == 0 {
			t.Fatalf("first claim: %d %v", c1, err)
		}
		clk.Add(time.Millisecond)
		_, c2, err := s.place(ctx, req, a, false)
		if err != nil || c2 <= c1 {
			t.Fatalf("second claim: %d (first %d) %v", c2, c1, err)
		}
		r1, err := s.roomFor(ctx, a, false, c1)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := s.roomFor(ctx, a, false, c2)
		if err != nil || r2 != r1 {
			t.Fatalf("second participant: room %p vs %p, %v", r2, r1, err)
		}
		r1.close("alarm_closed")
		var n int
		if err := d.QueryRow(ctx, "SELECT COUNT(*) FROM media_rooms").Scan(&n); err != nil || n != 0 {
			t.Fatalf("claims left after the room ended: %d %v", n, err)
		}
	})
}
