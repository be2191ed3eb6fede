package guardian_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"open110/account"
	"open110/guardian"
)

func TestOverdueAndSilent(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		me := e.citizen("13800000001")
		mum := e.citizen("13800000002")
		e.guardOf(me, mum, true)
		exp := e.clock.Now().Add(30 * time.Minute)
		tr := e.startTrip(me, guardian.StartRequest{ExpectedAt: &exp, Destination: "家"})
		tick := func() {
			if err := e.g.Tick(ctx); err != nil {
				t.Fatal(err)
			}
		}
		// Keep the phone alive so only the overdue clock runs.
		seq := int64(0)
		alive := func(d time.Duration) {
			for step := time.Duration(0); step < d; step += 5 * time.Minute {
				e.clock.Add(5 * time.Minute)
				seq++
				e.add(me, tr.ID, pt(seq, e.clock.Now(), museum))
				tick()
			}
		}
		alive(30 * time.Minute)
		if got, _ := e.g.Get(ctx, me, tr.ID); got.Overdue {
			t.Fatal("overdue before the expected time")
		}
		alive(5 * time.Minute) // past the expected time: the traveller is prompted
		got, _ := e.g.Get(ctx, me, tr.ID)
		if !got.Overdue {
			t.Fatal("traveller not prompted")
		}
		if g, _ := e.g.Get(ctx, mum, tr.ID); g.Overdue {
			t.Fatal("guardians told before the grace ran out")
		}
		e.waitSMS(me.Phone, "超过预计到达时间")
		// "I'm fine" answers it and gives more time.
		if _, err := e.g.CheckIn(ctx, me, tr.ID, nil); err != nil {
			t.Fatal(err)
		}
		if got, _ := e.g.Get(ctx, me, tr.ID); got.Overdue || !got.ExpectedAt.After(e.clock.Now()) {
			t.Fatalf("check-in: %+v", got)
		}
		// Prompted again and no answer: guardians notified, with the last position.
		alive(20 * time.Minute)
		alive(20 * time.Minute)
		if g, _ := e.g.Get(ctx, mum, tr.ID); !g.Overdue {
			t.Fatal("guardians not told")
		}
		e.waitSMS(mum.Phone, "未回应")
		e.waitSMS(mum.Phone, "38.04270,114.52170")

		// Silent phone: nothing for SilentAfter → guardians told once, with
		// the last position; an upload answers it.
		e.clock.Add(11 * time.Minute)
		tick()
		tick()
		if g, _ := e.g.Get(ctx, mum, tr.ID); !g.Silent {
			t.Fatal("silent phone not noticed")
		}
		n := 0
		for _, s := range e.sms(mum.Phone) {
			if strings.Contains(s, "没有上报位置") {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("silent SMS sent %d times", n)
		}
		seq++
		e.add(me, tr.ID, pt(seq, e.clock.Now(), museum))
		if g, _ := e.g.Get(ctx, mum, tr.ID); g.Silent {
			t.Fatal("still silent after an upload")
		}
		// A forgotten trip ends by itself after MaxTrip.
		e.clock.Add(25 * time.Hour)
		tick()
		if got, _ := e.g.Get(ctx, me, tr.ID); got.State != guardian.TripEnded || got.EndKind != guardian.EndExpired {
			t.Fatalf("max trip: %+v", got)
		}
		if _, err := e.g.CheckIn(ctx, me, tr.ID, nil); code(err) != "trip_ended" {
			t.Fatalf("check-in after end: %v", err)
		}
	})
}

func TestRetention(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		me := e.citizen("13800000001")
		mum := e.citizen("13800000002")
		e.guardOf(me, mum, true)
		plain := e.startTrip(me, guardian.StartRequest{})
		e.add(me, plain.ID, pt(1, e.clock.Now(), museum))
		if _, err := e.g.AddMedia(ctx, me, plain.ID, guardian.MediaUpload{Kind: "photo", ClientID: "a"}, bytes.NewReader(jpeg)); err != nil {
			t.Fatal(err)
		}
		e.clock.Add(time.Minute)
		e.g.End(ctx, me, plain.ID, "")
		linked := e.startTrip(me, guardian.StartRequest{})
		e.add(me, linked.ID, pt(1, e.clock.Now(), museum))
		if _, err := e.g.RaiseAlarm(ctx, mum, linked.ID, guardian.RaiseRequest{}); err != nil {
			t.Fatal(err)
		}
		e.clock.Add(time.Minute)
		e.g.End(ctx, me, linked.ID, "")

		e.clock.Add(7*24*time.Hour - 5*time.Minute)
		e.g.Tick(ctx)
		if _, err := e.g.Get(ctx, me, plain.ID); err != nil {
			t.Fatalf("purged early: %v", err)
		}
		e.clock.Add(10 * time.Minute)
		if err := e.g.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := e.g.Get(ctx, me, plain.ID); code(err) != "trip_not_found" {
			t.Fatalf("not purged: %v", err)
		}
		for _, tbl := range []string{"trip_points", "trip_media", "trip_events", "trip_guardians"} {
			var n int
			e.d.QueryRow(ctx, "SELECT COUNT(*) FROM "+tbl+" WHERE trip_id = $1", plain.ID).Scan(&n)
			if n != 0 {
				t.Errorf("%s keeps %d rows", tbl, n)
			}
		}
		// The linked trip is evidence: kept.
		if got, err := e.g.Get(ctx, mum, linked.ID); err != nil || got.Last == nil {
			t.Fatalf("linked trip purged: %v", err)
		}
	})
}

func TestMedia(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		me := e.citizen("13800000001")
		mum := e.citizen("13800000002")
		e.guardOf(me, mum, true)
		tr := e.startTrip(me, guardian.StartRequest{})
		up := func(p account.Principal, trip, kind, id string, b []byte) (guardian.Media, error) {
			return e.g.AddMedia(ctx, p, trip, guardian.MediaUpload{Kind: kind, ClientID: id}, bytes.NewReader(b))
		}
		m, err := up(me, tr.ID, "photo", "p1", jpeg)
		if err != nil || m.MIME != "image/jpeg" || len(m.SHA256) != 64 || m.Size != int64(len(jpeg)) {
			t.Fatalf("photo: %+v %v", m, err)
		}
		if again, err := up(me, tr.ID, "photo", "p1", jpeg); err != nil || again.ID != m.ID {
			t.Fatalf("retry: %+v %v", again, err)
		}
		webm := append([]byte{0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x82, 0x84, 'w', 'e', 'b', 'm'}, make([]byte, 100)...)
		if v, err := up(me, tr.ID, "audio", "v1", webm); err != nil || v.MIME != "audio/webm" {
			t.Fatalf("voice: %+v %v", v, err)
		}
		for name, c := range map[string]struct {
			p          account.Principal
			trip, kind string
			b          []byte
			code       string
		}{
			"text as photo": {me, tr.ID, "photo", []byte("hello, not a photo"), "invalid_media"},
			"jpeg as video": {me, tr.ID, "video", jpeg, "invalid_media"},
			"empty":         {me, tr.ID, "photo", nil, "invalid_media"},
			"bad kind":      {me, tr.ID, "document", jpeg, "invalid_media_kind"},
			"no trip":       {me, "tnosuch", "photo", jpeg, "trip_not_found"},
			"guardian":      {mum, tr.ID, "photo", jpeg, "trip_not_found"},
		} {
			if _, err := up(c.p, c.trip, c.kind, "x"+strings.ReplaceAll(name, " ", ""), c.b); code(err) != c.code {
				t.Errorf("%s: %v", name, err)
			}
		}
		_, rc, err := e.g.OpenMedia(ctx, mum, tr.ID, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		rc.Close()
		if _, _, err := e.g.OpenMedia(ctx, e.citizen("13800000003"), tr.ID, m.ID); code(err) != "trip_not_found" {
			t.Fatalf("stranger: %v", err)
		}
		e.g.End(ctx, me, tr.ID, "")
		if _, err := up(me, tr.ID, "photo", "late", jpeg); code(err) != "trip_ended" {
			t.Fatalf("after end: %v", err)
		}
	})
}

// TestLiveFeed: a guardian's WebSocket gets the snapshot, then each change;
// a revoked guardian's view is closed.
func TestLiveFeed(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		me := e.citizen("13800000001")
		mum := e.citizen("13800000002")
		l := e.guardOf(me, mum, true)
		tr := e.startTrip(me, guardian.StartRequest{})
		srv := e.server(map[string]account.Principal{"me": me, "mum": mum, "cop": officer("d130102", account.Dispatcher, "130102")})
		// Officers get no live view.
		res, _ := http.Get(srv.URL + "/api/v1/trips/" + tr.ID + "/feed?access_token=cop")
		if res.StatusCode != 404 {
			t.Fatalf("officer feed: %d", res.StatusCode)
		}
		wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		conn, _, err := websocket.Dial(wctx, strings.Replace(srv.URL, "http", "ws", 1)+"/api/v1/trips/"+tr.ID+"/feed?access_token=mum", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.CloseNow()
		read := func() guardian.Update {
			_, b, err := conn.Read(wctx)
			if err != nil {
				t.Fatal(err)
			}
			var u guardian.Update
			if err := json.Unmarshal(b, &u); err != nil {
				t.Fatal(err)
			}
			return u
		}
		snap := read()
		if snap.Type != "snapshot" || snap.Trip.ID != tr.ID || snap.Trip.Role != guardian.RoleGuardian {
			t.Fatalf("snapshot: %+v", snap)
		}
		cursor := snap.Cursor
		var got []guardian.Point
		for i := range 3 {
			e.add(me, tr.ID, pt(int64(i+1), e.clock.Now(), museum))
		}
		for len(got) < 3 {
			u := read()
			if u.Cursor <= cursor {
				t.Fatalf("cursor went back: %d after %d", u.Cursor, cursor)
			}
			cursor = u.Cursor
			got = append(got, u.Points...)
		}
		if len(got) != 3 || got[0].Seq != 1 {
			t.Fatalf("points: %+v", got)
		}
		// Revoked: the view says so and closes.
		if err := e.g.Revoke(ctx, me, l.ID); err != nil {
			t.Fatal(err)
		}
		for {
			_, b, err := conn.Read(wctx)
			if err != nil {
				if websocket.CloseStatus(err) != 4403 {
					t.Fatalf("close: %v", err)
				}
				break
			}
			if !strings.Contains(string(b), "trip_not_found") && !strings.Contains(string(b), `"update"`) {
				t.Fatalf("unexpected: %s", b)
			}
		}
	})
}
