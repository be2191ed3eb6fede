package media_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"open110/audit"
	"open110/media"
	"open110/media/rtcclient"
	"open110/platform/db"
	"open110/platform/db/dbtest"
)

// TestRoomPinnedAcrossNodes: two media nodes share the database. The caller
// connects to A, the dispatcher to B; B forwards the dispatcher's
// signalling to A (which holds the room), so the dispatcher sees the
// caller's video. When A shuts down, both are told the room moved; they
// reconnect through B, which takes the room over, and recording goes on
// there in new segments — all numbered once.
func TestRoomPinnedAcrossNodes(t *testing.T) {
	dbtest.Each(t, []db.Migrations{audit.Migrations(), media.Migrations()}, func(t *testing.T, d *db.DB) {
		key := make([]byte, 32)
		_, _ = rand.Read(key)
		cfg := media.Config{SegmentDuration: time.Second, NodeKey: key, PinInterval: 100 * time.Millisecond, PinTTL: time.Second}
		al := newAlarms()
		al.add(media.Alarm{ID: "p1", Kind: media.KindVideo, State: "queued", CallerID: "c1"},
			map[string]media.Role{"c1": media.RoleCaller, "d1": media.RoleDispatcher, "s1": media.RoleObserver})
		a := newEnvOn(t, d, al, cfg)
		b := newEnvOn(t, d, al, cfg)
		ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
		defer cancel()

		caller := a.dial(ctx, "p1", "c1", rtcclient.Options{})
		caller.SendSynthetic(ctx, 300, 15, time.Second)
		dispGot := newTrackLog()
		disp := b.dial(ctx, "p1", "d1", rtcclient.Options{OnTrack: dispGot.onTrack})
		if disp.Hello.Role != "dispatcher" {
			t.Fatalf("dispatcher hello through B: %+v", disp.Hello)
		}
		select {
		case <-dispGot.firstKF:
		case <-ctx.Done():
			t.Fatal("the dispatcher on B got no keyframe from the caller on A")
		}
		if sa, sb := a.svc.Stats(), b.svc.Stats(); sa.Rooms != 1 || sa.Participants != 2 || sb.Rooms != 0 || sb.Forwarded != 1 {
			t.Fatalf("one room on A with both, B forwarding: A %+v, B %+v", sa, sb)
		}
		// A browser sends Origin; forwarding keeps the Host it spoke to, so
		// the holder's same-origin check passes.
		hdr := http.Header{"Origin": {b.srv.URL}}
		obs, _, err := websocket.Dial(ctx, b.wsURL("p1", "access_token=s1"), &websocket.DialOptions{HTTPHeader: hdr})
		if err != nil {
			t.Fatalf("browser-like dial through B: %v", err)
		}
		if _, msg, err := obs.Read(ctx); err != nil || !strings.Contains(string(msg), `"role":"observer"`) {
			t.Fatalf("observer hello through B: %s %v", msg, err)
		}
		obs.CloseNow()
		waitFor(t, "a segment recorded on A", 10*time.Second, func() bool {
			segs, _ := a.svc.SegmentsOf(ctx, "p1")
			return len(segs) > 0
		})

		// A goes away: its listener first (as a node's shutdown does), then
		// the rooms, which tell the participants the room moved.
		a.srv.Close()
		a.svc.Close()
		for name, c := range map[string]*rtcclient.Client{"caller": caller, "dispatcher": disp} {
			select {
			case <-c.Done():
			case <-time.After(10 * time.Second):
				t.Fatalf("%s not disconnected when A shut down", name)
			}
		}
		before, _ := b.svc.SegmentsOf(ctx, "p1")

		caller = b.dial(ctx, "p1", "c1", rtcclient.Options{})
		caller.SendSynthetic(ctx, 300, 15, time.Second)
		dispGot = newTrackLog()
		b.dial(ctx, "p1", "d1", rtcclient.Options{OnTrack: dispGot.onTrack})
		select {
		case <-dispGot.firstKF:
		case <-ctx.Done():
			t.Fatal("no video after the room moved to B")
		}
		if sb := b.svc.Stats(); sb.Rooms != 1 || sb.Participants != 2 {
			t.Fatalf("B after take-over: %+v", sb)
		}
		waitFor(t, "recording goes on on B", 10*time.Second, func() bool {
			segs, _ := b.svc.SegmentsOf(ctx, "p1")
			return len(segs) > len(before)
		})
		al.setState("p1", "closed")
		b.svc.AlarmClosed(ctx, "p1")
		segs, err := b.svc.SegmentsOf(ctx, "p1")
		if err != nil {
			t.Fatal(err)
		}
		seen := map[int]bool{}
		for _, g := range segs {
			if seen[g.Seq] {
				t.Fatalf("segment number %d twice: %+v", g.Seq, segs)
			}
			seen[g.Seq] = true
		}
		var claims int
		if err := d.QueryRow(ctx, "SELECT COUNT(*) FROM media_rooms").Scan(&claims); err != nil || claims != 0 {
			t.Fatalf("room claims left after the alarm closed: %d %v", claims, err)
		}
		// Every node hears the close: one manifest, listing every segment.
		c := newEnvOn(t, d, al, cfg)
		c.svc.AlarmClosed(ctx, "p1")
		b.svc.AlarmClosed(ctx, "p1")
		ents, err := b.audit.List(ctx, audit.Filter{Action: "media.recording.manifest"})
		if err != nil || len(ents) != 1 {
			t.Fatalf("manifests after the close reached three nodes: %d %v", len(ents), err)
		}
		if got, _ := json.Marshal(ents[0].Detail["segments"]); strings.Count(string(got), `"sha256"`) != len(segs) {
			t.Fatalf("manifest lists %s, want %d segments", got, len(segs))
		}
	})
}

// TestSignallingFloodCut: a client past the signalling rate gets
// rate_limited and its socket ends; the room and the alarm stay.
func TestSignallingFloodCut(t *testing.T) {
	dbtest.Each(t, []db.Migrations{audit.Migrations(), media.Migrations()}, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, media.Config{})
		e.alarms.add(media.Alarm{ID: "f1", Kind: media.KindVideo, State: "queued", CallerID: "c1"},
			map[string]media.Role{"c1": media.RoleCaller})
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		c, _, err := websocket.Dial(ctx, e.wsURL("f1", "access_token=c1"), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		msg := []byte(`{"type":"candidate","candidate":{"candidate":"candidate:1 1 udp 2130706431 192.0.2.1 9 typ host"}}`)
		go func() {
			for i := 0; i < 1000; i++ {
				if c.Write(ctx, websocket.MessageText, msg) != nil {
					return
				}
			}
		}()
		for {
			_, b, err := c.Read(ctx)
			if err != nil {
				t.Fatalf("socket ended without rate_limited: %v", err)
			}
			var m struct{ Type, Code string }
			_ = json.Unmarshal(b, &m)
			if m.Type == "error" && m.Code == "rate_limited" {
				break
			}
		}
		if _, _, err := c.Read(ctx); err == nil {
			// drain until the server closes
			for err == nil {
				_, _, err = c.Read(ctx)
			}
		}
		if ctx.Err() != nil {
			t.Fatal("socket not closed after rate_limited")
		}
		if _, err := e.alarms.Get(ctx, "f1"); err != nil {
			t.Fatal(err)
		}
	})
}

// TestManifestWhenHolderDied: an alarm closes while its room's node is
// dead (a stale claim): a node without the room writes the manifest of
// what is stored, once. While a live node holds the room, others leave the
// manifest to it.
func TestManifestWhenHolderDied(t *testing.T) {
	dbtest.Each(t, []db.Migrations{audit.Migrations(), media.Migrations()}, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		cfg := media.Config{PinTTL: time.Second}
		al := newAlarms()
		b := newEnvOn(t, d, al, cfg)
		c := newEnvOn(t, d, al, cfg)
		now := time.Now().UnixMicro()
		for _, q := range []string{
			`INSERT INTO media_segments (alarm_id, track, seq, started_at, ended_at, sha256, size, codecs, stored_at)
				VALUES ('dead1', 'caller', 0, 1, 2, '` + strings.Repeat("a", 64) + `', 10, 'vp8,opus', 3)`,
			`INSERT INTO media_segments (alarm_id, track, seq, started_at, ended_at, sha256, size, codecs, stored_at)
				VALUES ('live1', 'caller', 0, 1, 2, '` + strings.Repeat("b", 64) + `', 10, 'vp8,opus', 3)`,
			"INSERT INTO media_rooms (alarm_id, node_id, node_url, claimed_at, heartbeat_at) VALUES ('dead1', 'gone', 'http://gone', 0, 0)",
			fmt.Sprintf("INSERT INTO media_rooms (alarm_id, node_id, node_url, claimed_at, heartbeat_at) VALUES ('live1', 'alive', 'http://alive', %d, %d)", now, now+int64(time.Hour/time.Microsecond)),
		} {
			if _, err := d.Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		for _, id := range []string{"dead1", "live1"} {
			b.svc.AlarmClosed(ctx, id)
			c.svc.AlarmClosed(ctx, id)
		}
		count := func(id string) int {
			ents, err := b.audit.List(ctx, audit.Filter{Action: "media.recording.manifest"})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, e := range ents {
				if e.Object == "alarm:"+id {
					n++
				}
			}
			return n
		}
		if n := count("dead1"); n != 1 {
			t.Fatalf("manifests for the alarm whose node died: %d, want 1", n)
		}
		if n := count("live1"); n != 0 {
			t.Fatalf("manifests written by nodes not holding a live room: %d, want 0", n)
		}
	})
}
