package cluster

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"open110/media/rtcclient"
)

// TestMediaFailover: a video caller streams to node A and the dispatcher
// answers on node B; B forwards the dispatcher's signalling to A, which
// holds the alarm's room, so the dispatcher sees the caller (pinning).
// A is SIGKILLed mid-segment; both reconnect through B, which takes the
// room over once A's claim is stale, and recording continues in a new
// segment there. A restarts on its data dir and recovers the segment it
// was writing. Then every stored segment must be listed once, play back
// through either node (play tickets are stateless), and match its SHA-256.
func TestMediaFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("streams ~25 s of video")
	}
	c := shared(t, 2)
	a, b := c.Nodes[0], c.Nodes[1]
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	caller := NewUser("caller", LoopbackIP(70))
	if err := caller.SignInCitizen(ctx, a, phone(6001)); err != nil {
		t.Fatal(err)
	}
	r, err := caller.Do(ctx, a.URL(), "POST", "/api/v1/alarms", nil, map[string]any{"kind": "video", "location": pointX})
	if err != nil || r.Status != http.StatusCreated {
		t.Fatalf("raise: %v %v", r, err)
	}
	var al struct{ ID string }
	mustJSON(t, r, &al)
	desk := NewUser("desk", LoopbackIP(71))
	center := centerOf(t, desk, b.URL(), pointX)
	if err := desk.SignInOfficer(ctx, b.URL(), "d"+center); err != nil {
		t.Fatal(err)
	}

	// dial connects u's media for the alarm through node n, retrying while
	// the room's holder is down and not yet taken over (503).
	dial := func(n *Node, u *User, opts rtcclient.Options) (*rtcclient.Client, time.Duration) {
		t.Helper()
		start := time.Now()
		url := "ws" + strings.TrimPrefix(n.URL(), "http") + "/api/v1/alarms/" + al.ID + "/rtc?access_token=" + u.Token
		for {
			cl, err := rtcclient.Dial(ctx, url, opts)
			if err == nil {
				if err = cl.WaitConnected(ctx); err == nil {
					return cl, time.Since(start)
				}
				cl.Close()
			}
			if ctx.Err() != nil || time.Since(start) > 30*time.Second {
				t.Fatalf("rtc for %s on %s: %v", u.Name, n.Name, err)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	keyframe := func(got *trackSeen, what string) {
		t.Helper()
		select {
		case <-got.keyframe:
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: no keyframe", what)
		}
	}

	cl, _ := dial(a, caller, rtcclient.Options{})
	sctx, stopSend := context.WithCancel(ctx)
	go cl.SendSynthetic(sctx, 300, 15, time.Second)
	if r, err := desk.Do(ctx, b.URL(), "POST", "/api/v1/alarms/"+al.ID+"/answer", nil, nil); err != nil || r.Status != 200 {
		t.Fatalf("answer: %v %v", r, err)
	}
	watch := newTrackSeen()
	dl, _ := dial(b, desk, rtcclient.Options{OnTrack: watch.onTrack})
	keyframe(watch, "dispatcher on node1 watching the caller on node0")
	// 10 s segments (the media default): one finished segment on A and a
	// part-written one when A dies.
	time.Sleep(13 * time.Second)
	a.Kill()
	killed := time.Now()
	stopSend()
	<-cl.Done()
	<-dl.Done()

	cl, callerBack := dial(b, caller, rtcclient.Options{})
	defer cl.Close()
	sctx, stopSend = context.WithCancel(ctx)
	defer stopSend()
	go cl.SendSynthetic(sctx, 300, 15, time.Second)
	watch = newTrackSeen()
	dl, _ = dial(b, desk, rtcclient.Options{OnTrack: watch.onTrack})
	defer dl.Close()
	keyframe(watch, "dispatcher after the take-over")
	videoBack := time.Since(killed)
	t.Logf("caller reconnected %s after the kill; dispatcher saw video again after %s", callerBack.Round(100*time.Millisecond), videoBack.Round(100*time.Millisecond))
	time.Sleep(11 * time.Second)
	stopSend()
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}

	// End the alarm so every room finishes its last segment.
	if r, err := desk.Do(ctx, b.URL(), "POST", "/api/v1/alarms/"+al.ID+"/end", nil, map[string]string{"disposition": "resolved"}); err != nil || r.Status != 200 {
		t.Fatalf("end: %v %v", r, err)
	}

	// After the end the answering dispatcher has no media role; the
	// city's supervisor reviews evidence.
	desk = NewUser("supervisor", LoopbackIP(72))
	if err := desk.SignInOfficer(ctx, b.URL(), "s"+center[:4]+"00"); err != nil {
		t.Fatal(err)
	}
	type seg struct {
		Track  string    `json:"track"`
		Seq    int       `json:"seq"`
		Start  time.Time `json:"start"`
		End    time.Time `json:"end"`
		SHA256 string    `json:"sha256"`
		Size   int64     `json:"size"`
	}
	var segs []seg
	deadline := time.Now().Add(30 * time.Second)
	for {
		r, err := desk.Do(ctx, b.URL(), "GET", "/api/v1/alarms/"+al.ID+"/recordings", nil, nil)
		if err != nil || r.Status != 200 {
			t.Fatalf("recordings: %v %v", r, err)
		}
		var out struct {
			Segments  []seg `json:"segments"`
			Recording bool  `json:"recording"`
		}
		mustJSON(t, r, &out)
		segs = out.Segments
		if len(segs) >= 3 && !out.Recording || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	sort.Slice(segs, func(i, j int) bool { return segs[i].Start.Before(segs[j].Start) })
	var desc []string
	seen := map[string]bool{}
	for _, s := range segs {
		desc = append(desc, fmt.Sprintf("%s#%d %s–%s %dB", s.Track, s.Seq, s.Start.Format("15:04:05.0"), s.End.Format("15:04:05.0"), s.Size))
		k := fmt.Sprintf("%s/%d", s.Track, s.Seq)
		if seen[k] {
			t.Errorf("segment %s listed twice", k)
		}
		seen[k] = true
	}
	t.Logf("segments: %v", desc)
	// Before the crash: ≥ 1 finished segment on A; after it: ≥ 1 on B.
	if len(segs) < 2 {
		t.Fatalf("want segments from before and after the crash, got %d: %v", len(segs), desc)
	}

	// Each plays back through the API and matches its hash.
	r, err = desk.Do(ctx, b.URL(), "POST", "/api/v1/alarms/"+al.ID+"/recordings/play", nil, map[string]string{"reason": "cluster failover test"})
	if err != nil || r.Status != 200 {
		t.Fatalf("play: %v %v", r, err)
	}
	var play struct {
		Segments []struct {
			SHA256 string `json:"sha256"`
			URL    string `json:"url"`
		} `json:"segments"`
	}
	mustJSON(t, r, &play)
	for i, s := range play.Segments {
		// Tickets from B play on either node.
		node := []*Node{a, b}[i%2]
		r, err := desk.Do(ctx, node.URL(), "GET", s.URL, nil, nil)
		if err != nil || r.Status != 200 {
			t.Errorf("playback %s: %v %v", s.URL, r, err)
			continue
		}
		sum := sha256.Sum256(r.Body)
		if hex.EncodeToString(sum[:]) != s.SHA256 {
			t.Errorf("segment %s plays back with another hash", s.SHA256)
		}
	}
	writeResult(t, "media_failover", map[string]any{"segments": desc, "played_back": len(play.Segments),
		"caller_reconnect_ms": callerBack.Milliseconds(), "video_again_after_kill_ms": videoBack.Milliseconds()})

	// What A was writing when it died is recovered when A restarts and
	// listed beside B's segments (under the next free number).
	if len(segs) < 3 {
		t.Errorf("want A's finished segment, A's recovered part-segment and B's segments, got %d: %v", len(segs), desc)
	}
	// Gaps between consecutive segments: the crash window is expected.
	for i := 1; i < len(segs); i++ {
		if gap := segs[i].Start.Sub(segs[i-1].End); gap > 2*time.Second {
			t.Logf("gap of %s before segment %s#%d", gap.Round(100*time.Millisecond), segs[i].Track, segs[i].Seq)
		}
	}
}

// trackSeen notes the first VP8 keyframe a client receives.
type trackSeen struct {
	once     sync.Once
	keyframe chan struct{}
}

func newTrackSeen() *trackSeen { return &trackSeen{keyframe: make(chan struct{})} }

func (s *trackSeen) onTrack(t *webrtc.TrackRemote) {
	if t.Kind() != webrtc.RTPCodecTypeVideo {
		go func() { // drain
			buf := make([]byte, 1500)
			for {
				if _, _, err := t.Read(buf); err != nil {
					return
				}
			}
		}()
		return
	}
	go func() {
		buf := make([]byte, 1500)
		for {
			n, _, err := t.Read(buf)
			if err != nil {
				return
			}
			if _, key := rtcclient.VP8FrameStart(buf[:n]); key {
				s.once.Do(func() { close(s.keyframe) })
			}
		}
	}()
}
