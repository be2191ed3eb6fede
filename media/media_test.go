package media_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"open110/account"
	"open110/audit"
	"open110/media"
	"open110/media/rtcclient"
	"open110/platform/api"
	"open110/platform/apperr"
	"open110/platform/blob"
	"open110/platform/db"
	"open110/platform/db/dbtest"
	"open110/platform/sms"
)

// alarms is a stand-in for the alarm feature (which media only sees
// through media.Alarms): alarms by ID and, per alarm, who holds which role.
type alarms struct {
	mu    sync.Mutex
	m     map[string]media.Alarm
	roles map[string]map[string]media.Role // alarm → principal ID → role
}

func newAlarms() *alarms {
	return &alarms{m: map[string]media.Alarm{}, roles: map[string]map[string]media.Role{}}
}

func (a *alarms) add(al media.Alarm, roles map[string]media.Role) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.m[al.ID] = al
	a.roles[al.ID] = roles
}

func (a *alarms) setState(id, state string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	al := a.m[id]
	al.State = state
	a.m[id] = al
}

func (a *alarms) Access(_ context.Context, p account.Principal, id string) (media.Grant, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	al, ok := a.m[id]
	if !ok {
		return media.Grant{}, apperr.ErrNotFound
	}
	role, ok := a.roles[id][p.ID]
	if !ok {
		return media.Grant{}, apperr.ErrNotFound
	}
	return media.Grant{Role: role, Alarm: al}, nil
}

func (a *alarms) Get(_ context.Context, id string) (media.Alarm, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	al, ok := a.m[id]
	if !ok {
		return media.Alarm{}, apperr.ErrNotFound
	}
	return al, nil
}

// principals: test tokens are principal IDs; "c…" citizens, "d…" dispatchers, "s…" supervisors.
func principal(tok string) account.Principal {
	switch tok[0] {
	case 'c':
		return account.Principal{Kind: account.Citizen, ID: tok, Phone: "+8613800000001"}
	case 'd':
		return account.Principal{Kind: account.Officer, ID: tok, Username: tok, Role: account.Dispatcher, Center: "130102"}
	default:
		return account.Principal{Kind: account.Officer, ID: tok, Username: tok, Role: account.Supervisor, Center: "130102"}
	}
}

type env struct {
	t      *testing.T
	svc    *media.Service
	srv    *httptest.Server
	alarms *alarms
	audit  *audit.Log
	db     *db.DB
	blob   blob.Store
	outbox string
}

func newEnv(t *testing.T, d *db.DB, cfg media.Config) *env {
	t.Helper()
	return newEnvOn(t, d, newAlarms(), cfg)
}

// newEnvOn starts one media node on d over the alarms al (nodes of one
// cluster share both, and cfg.NodeKey). The node's URL is its NodeURL.
func newEnvOn(t *testing.T, d *db.DB, al *alarms, cfg media.Config) *env {
	t.Helper()
	dir := t.TempDir()
	bs, err := blob.OpenFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	lg := audit.New(d, nil)
	outbox := filepath.Join(dir, "sms-outbox.jsonl")
	cfg.DataDir = dir
	cfg.Loopback, cfg.LoopbackOnly = true, true
	var nodeURL atomic.Pointer[string]
	cfg.NodeURL = func() string {
		if u := nodeURL.Load(); u != nil {
			return *u
		}
		return ""
	}
	svc, err := media.New(context.Background(), cfg, media.Deps{DB: d, Blob: bs, Audit: lg, Alarms: al, SMS: sms.NewOutbox(outbox, nil)})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	svc.Register(mux)
	// Stand-in for the account middleware: the bearer token (or, for
	// WebSocket upgrades, ?access_token=) is the principal's ID.
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if tok == "" {
			tok = r.URL.Query().Get("access_token")
		}
		if tok != "" {
			r = r.WithContext(account.WithPrincipal(r.Context(), principal(tok)))
		}
		mux.ServeHTTP(w, r)
	})
	// The platform middleware: client IPs, and forwarding between nodes.
	mw := &api.Middleware{Log: slog.New(slog.DiscardHandler), NodeKey: cfg.NodeKey}
	srv := httptest.NewServer(mw.Wrap(h))
	nodeURL.Store(&srv.URL)
	ctx, stop := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		_ = svc.Run(ctx) // room claims' heartbeat
	}()
	t.Cleanup(func() {
		stop()
		<-ran
		srv.CloseClientConnections()
		svc.Close()
		srv.Close()
	})
	return &env{t: t, svc: svc, srv: srv, alarms: al, audit: lg, db: d, blob: bs, outbox: outbox}
}

func (e *env) wsURL(alarmID, query string) string {
	return "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/api/v1/alarms/" + alarmID + "/rtc?" + query
}

// trackLog records the tracks a client received and the packets on each.
type trackLog struct {
	mu      sync.Mutex
	kinds   []string
	packets map[string]*atomic.Int64
	firstKF chan struct{}
	once    sync.Once
}

func newTrackLog() *trackLog {
	return &trackLog{packets: map[string]*atomic.Int64{"audio": {}, "video": {}}, firstKF: make(chan struct{})}
}

func (l *trackLog) onTrack(t *webrtc.TrackRemote) {
	k := t.Kind().String()
	l.mu.Lock()
	l.kinds = append(l.kinds, k)
	l.mu.Unlock()
	go func() {
		buf := make([]byte, 1500)
		for {
			n, _, err := t.Read(buf)
			if err != nil {
				return
			}
			l.packets[k].Add(1)
			if _, key := rtcclient.VP8FrameStart(buf[:n]); k == "video" && key {
				l.once.Do(func() { close(l.firstKF) })
			}
		}
	}()
}

func (l *trackLog) got() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.kinds...)
}

func (e *env) dial(ctx context.Context, alarmID, token string, opts rtcclient.Options) *rtcclient.Client {
	e.t.Helper()
	c, err := rtcclient.Dial(ctx, e.wsURL(alarmID, "access_token="+token), opts)
	if err != nil {
		e.t.Fatalf("dial %s: %v", token, err)
	}
	e.t.Cleanup(c.Close)
	if err := c.WaitConnected(ctx); err != nil {
		e.t.Fatalf("%s: not connected: %v", token, err)
	}
	return c
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestVideoAlarmForwardsRecordsAndAudits(t *testing.T) {
	dbtest.Each(t, []db.Migrations{audit.Migrations(), media.Migrations()}, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, media.Config{SegmentDuration: time.Second})
		e.alarms.add(media.Alarm{ID: "a1", Kind: media.KindVideo, State: "queued", CallerID: "c1"},
			map[string]media.Role{"c1": media.RoleCaller, "d1": media.RoleDispatcher, "s1": media.RoleObserver})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()

		callerGot := newTrackLog()
		caller := e.dial(ctx, "a1", "c1", rtcclient.Options{OnTrack: callerGot.onTrack})
		if caller.Hello.Role != "caller" || caller.Audio == nil || caller.Video == nil {
			t.Fatalf("caller hello: %+v", caller.Hello)
		}
		caller.SendSynthetic(ctx, 500, 30, time.Second)
		// Recording starts before anyone answers: wait for a stored segment.
		waitFor(t, "a segment before answer", 10*time.Second, func() bool {
			segs, _ := e.svc.SegmentsOf(ctx, "a1")
			return len(segs) > 0
		})

		dispGot := newTrackLog()
		disp := e.dial(ctx, "a1", "d1", rtcclient.Options{OnTrack: dispGot.onTrack})
		disp.SendSynthetic(ctx, 300, 15, time.Second)
		select {
		case <-dispGot.firstKF:
		case <-ctx.Done():
			t.Fatal("dispatcher got no keyframe")
		}
		waitFor(t, "caller receives dispatcher audio+video", 10*time.Second, func() bool {
			return callerGot.packets["audio"].Load() > 0 && callerGot.packets["video"].Load() > 0
		})
		waitFor(t, "dispatcher receives audio", 5*time.Second, func() bool { return dispGot.packets["audio"].Load() > 0 })

		obsGot := newTrackLog()
		e.dial(ctx, "a1", "s1", rtcclient.Options{OnTrack: obsGot.onTrack})
		waitFor(t, "observer receives both sides", 10*time.Second, func() bool {
			return len(obsGot.got()) == 4 && obsGot.packets["video"].Load() > 0
		})

		time.Sleep(1500 * time.Millisecond)
		e.alarms.setState("a1", "closed")
		e.svc.AlarmClosed(ctx, "a1")
		select {
		case <-caller.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("caller's signalling not closed with the alarm")
		}

		segs, err := e.svc.SegmentsOf(ctx, "a1")
		if err != nil || len(segs) < 2 {
			t.Fatalf("segments: %v %+v", err, segs)
		}
		for i, g := range segs {
			if g.Seq != i || g.Track != "caller" || g.Codecs != "vp8,opus" || len(g.SHA256) != 64 || g.Size == 0 {
				t.Fatalf("segment %d: %+v", i, g)
			}
		}
		probe(t, e, segs[len(segs)-1].SHA256, "vp8", "opus")

		// The manifest is in the audit chain, with every segment's hash.
		ents, err := e.audit.List(ctx, audit.Filter{Action: "media.recording.manifest"})
		if err != nil || len(ents) != 1 {
			t.Fatalf("manifest entries: %v %d", err, len(ents))
		}
		listed, _ := json.Marshal(ents[0].Detail["segments"])
		for _, g := range segs {
			if !strings.Contains(string(listed), g.SHA256) {
				t.Fatalf("manifest lacks %s", g.SHA256)
			}
		}
		if ents[0].Subject != "citizen:c1" {
			t.Fatalf("manifest subject %q", ents[0].Subject)
		}

		// Playback: callers may not; an officer gets a playlist, audited.
		if st, _ := post(t, e, "/api/v1/alarms/a1/recordings/play", "c1", `{"reason":"x"}`); st != 403 {
			t.Fatalf("caller play: %d", st)
		}
		if st, body := post(t, e, "/api/v1/alarms/a1/recordings/play", "d1", `{}`); st != 400 || !strings.Contains(body, "reason_required") {
			t.Fatalf("play without reason: %d %s", st, body)
		}
		st, body := post(t, e, "/api/v1/alarms/a1/recordings/play", "d1", `{"reason":"case review"}`)
		if st != 200 {
			t.Fatalf("play: %d %s", st, body)
		}
		var pl struct {
			Segments []struct {
				SHA256 string `json:"sha256"`
				URL    string `json:"url"`
			} `json:"segments"`
		}
		_ = json.Unmarshal([]byte(body), &pl)
		if len(pl.Segments) != len(segs) {
			t.Fatalf("playlist: %s", body)
		}
		resp, err := http.Get(e.srv.URL + pl.Segments[0].URL)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "video/webm" || int64(len(b)) != segs[0].Size {
			t.Fatalf("playback: %d %s %d", resp.StatusCode, resp.Header.Get("Content-Type"), len(b))
		}
		plays, _ := e.audit.List(ctx, audit.Filter{Action: "media.recording.play"})
		if len(plays) != 1 || plays[0].Actor != "officer:d1" || plays[0].Reason != "case review" {
			t.Fatalf("play audit: %+v", plays)
		}
	})
}

func post(t *testing.T, e *env, path, token, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", e.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// probe runs ffprobe on a stored segment and checks its streams and duration.
func probe(t *testing.T, e *env, sha string, codecs ...string) {
	t.Helper()
	ffprobe, err := exec.LookPath("ffprobe")
	if err != nil {
		t.Log("ffprobe not installed: container not checked")
		return
	}
	rc, _, err := e.blob.Get(context.Background(), sha)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "seg.webm")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(ffprobe, "-v", "quiet", "-show_streams", "-show_format", "-of", "json", path).Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	var res struct {
		Streams []struct {
			CodecName string `json:"codec_name"`
			Width     int    `json:"width"`
		} `json:"streams"`
		Format struct {
			FormatName string `json:"format_name"`
			Duration   string `json:"duration"`
		} `json:"format"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range res.Streams {
		got = append(got, s.CodecName)
	}
	if strings.Join(got, ",") != strings.Join(codecs, ",") {
		t.Fatalf("ffprobe streams %v, want %v\n%s", got, codecs, out)
	}
	if !strings.Contains(res.Format.FormatName, "webm") || res.Format.Duration == "" || res.Format.Duration == "0.000000" {
		t.Fatalf("ffprobe format: %s", out)
	}
}

func TestSilentCallerNeverReceivesAudio(t *testing.T) {
	d := dbtest.Open(t, db.SQLite, audit.Migrations(), media.Migrations())
	e := newEnv(t, d, media.Config{})
	e.alarms.add(media.Alarm{ID: "s1", Kind: media.KindSilent, State: "answered", CallerID: "c1"},
		map[string]media.Role{"c1": media.RoleCaller, "d1": media.RoleDispatcher})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// A misbehaving caller app: offers to receive audio and video.
	callerGot := newTrackLog()
	caller := e.dial(ctx, "s1", "c1", rtcclient.Options{OnTrack: callerGot.onTrack, ExtraReceive: []string{"audio", "video"}})
	if len(caller.Hello.Receive) != 1 || len(caller.Hello.Receive[0].Kinds) != 0 {
		t.Fatalf("silent caller told to receive %+v", caller.Hello.Receive)
	}
	// The server's answer sends nothing to the caller.
	for _, line := range strings.Split(caller.PC.RemoteDescription().SDP, "\n") {
		if strings.HasPrefix(line, "a=sendrecv") || strings.HasPrefix(line, "a=sendonly") {
			t.Fatalf("server answer offers to send to a silent caller: %q", line)
		}
	}
	caller.SendSynthetic(ctx, 300, 15, time.Second)
	// A dispatcher app that tries to talk anyway.
	dispGot := newTrackLog()
	disp := e.dial(ctx, "s1", "d1", rtcclient.Options{OnTrack: dispGot.onTrack, SendAll: true})
	disp.SendSynthetic(ctx, 300, 15, time.Second)
	waitFor(t, "dispatcher sees and hears the caller", 10*time.Second, func() bool {
		return dispGot.packets["video"].Load() > 0 && dispGot.packets["audio"].Load() > 0
	})
	time.Sleep(time.Second) // give any wrongly forwarded track time to show up
	if got := callerGot.got(); len(got) != 0 {
		t.Fatalf("silent caller received tracks %v", got)
	}
	for _, tr := range caller.PC.GetTransceivers() {
		if tr.Kind() == webrtc.RTPCodecTypeAudio && tr.Receiver() != nil {
			for _, rt := range tr.Receiver().Tracks() {
				if rt.SSRC() != 0 {
					t.Fatalf("silent caller has a live audio track (ssrc %d)", rt.SSRC())
				}
			}
		}
	}
}

func TestVoiceAlarmIsAudioOnly(t *testing.T) {
	d := dbtest.Open(t, db.SQLite, audit.Migrations(), media.Migrations())
	e := newEnv(t, d, media.Config{SegmentDuration: time.Second})
	e.alarms.add(media.Alarm{ID: "v1", Kind: media.KindVoice, State: "answered", CallerID: "c1"},
		map[string]media.Role{"c1": media.RoleCaller, "d1": media.RoleDispatcher})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	callerGot := newTrackLog()
	caller := e.dial(ctx, "v1", "c1", rtcclient.Options{OnTrack: callerGot.onTrack, SendAll: true, ExtraReceive: []string{"video"}})
	if strings.Join(caller.Hello.Send, ",") != "audio" {
		t.Fatalf("voice caller send %v", caller.Hello.Send)
	}
	caller.SendSynthetic(ctx, 300, 15, time.Second)
	dispGot := newTrackLog()
	disp := e.dial(ctx, "v1", "d1", rtcclient.Options{OnTrack: dispGot.onTrack, SendAll: true, ExtraReceive: []string{"video"}})
	disp.SendSynthetic(ctx, 300, 15, time.Second)
	waitFor(t, "audio both ways", 10*time.Second, func() bool {
		return dispGot.packets["audio"].Load() > 0 && callerGot.packets["audio"].Load() > 0
	})
	time.Sleep(1500 * time.Millisecond)
	if dispGot.packets["video"].Load() != 0 || callerGot.packets["video"].Load() != 0 {
		t.Fatalf("video flowed in a voice alarm: dispatcher %d, caller %d", dispGot.packets["video"].Load(), callerGot.packets["video"].Load())
	}
	e.svc.AlarmClosed(ctx, "v1")
	segs, _ := e.svc.SegmentsOf(ctx, "v1")
	if len(segs) == 0 || segs[0].Codecs != "opus" {
		t.Fatalf("voice segments %+v", segs)
	}
	probe(t, e, segs[0].SHA256, "opus")
}

func TestICERestartKeepsAlarmAndRecording(t *testing.T) {
	d := dbtest.Open(t, db.SQLite, audit.Migrations(), media.Migrations())
	e := newEnv(t, d, media.Config{SegmentDuration: time.Second})
	e.alarms.add(media.Alarm{ID: "r1", Kind: media.KindVideo, State: "answered", CallerID: "c1"},
		map[string]media.Role{"c1": media.RoleCaller, "d1": media.RoleDispatcher})
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()

	caller := e.dial(ctx, "r1", "c1", rtcclient.Options{})
	caller.SendSynthetic(ctx, 500, 30, time.Second)
	dispGot := newTrackLog()
	e.dial(ctx, "r1", "d1", rtcclient.Options{OnTrack: dispGot.onTrack})
	waitFor(t, "video at the dispatcher", 10*time.Second, func() bool { return dispGot.packets["video"].Load() > 0 })
	time.Sleep(1200 * time.Millisecond)
	before, _ := e.svc.SegmentsOf(ctx, "r1")

	if err := caller.RestartICE(ctx); err != nil {
		t.Fatalf("ICE restart: %v", err)
	}
	restarted := time.Now()
	n := dispGot.packets["video"].Load()
	waitFor(t, "video after the restart", 10*time.Second, func() bool { return dispGot.packets["video"].Load() > n+100 })
	time.Sleep(1500 * time.Millisecond)
	e.svc.AlarmClosed(ctx, "r1")
	after, _ := e.svc.SegmentsOf(ctx, "r1")
	if len(after) <= len(before) {
		t.Fatalf("no segments after the ICE restart: before %d, after %d", len(before), len(after))
	}
	last := after[len(after)-1]
	if !last.End.After(restarted) {
		t.Fatalf("recording stopped at %v, restart at %v", last.End, restarted)
	}
	for i, g := range after {
		if g.Seq != i {
			t.Fatalf("segment numbering broken: %+v", after)
		}
	}
}

func TestVideoLink(t *testing.T) {
	dbtest.Each(t, []db.Migrations{audit.Migrations(), media.Migrations()}, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, media.Config{})
		e.alarms.add(media.Alarm{ID: "t1", Kind: media.KindText, State: "answered", CallerID: "c1", CallerPhone: "+8613800000001"},
			map[string]media.Role{"c1": media.RoleCaller, "d1": media.RoleDispatcher, "d2": media.RoleObserver})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()

		// A text alarm has no media until upgraded.
		if _, err := rtcclient.Dial(ctx, e.wsURL("t1", "access_token=c1"), rtcclient.Options{}); err == nil || !strings.Contains(err.Error(), "409") {
			t.Fatalf("text alarm rtc: %v", err)
		}
		if st, _ := post(t, e, "/api/v1/alarms/t1/video-link", "d2", `{}`); st != 403 {
			t.Fatalf("observer sent a link: %d", st)
		}
		st, body := post(t, e, "/api/v1/alarms/t1/video-link", "d1", `{}`)
		if st != 201 || !strings.Contains(body, "+86138****0001") {
			t.Fatalf("send link: %d %s", st, body)
		}
		tok := linkFromOutbox(t, e.outbox)
		if st, _ := get(t, e, "/api/v1/media/links/"+tok); st != 200 {
			t.Fatalf("link status %d", st)
		}
		if st, body := post(t, e, "/api/v1/media/links/"+tok+"/claim", "", `{"consent":false}`); st != 400 || !strings.Contains(body, "consent_required") {
			t.Fatalf("claim without consent: %d %s", st, body)
		}
		st, body = post(t, e, "/api/v1/media/links/"+tok+"/claim", "", `{"consent":true}`)
		if st != 200 {
			t.Fatalf("claim: %d %s", st, body)
		}
		var claim media.LinkClaim
		_ = json.Unmarshal([]byte(body), &claim)
		if claim.AlarmID != "t1" || claim.MediaSession == "" {
			t.Fatalf("claim: %s", body)
		}
		if st, _ := post(t, e, "/api/v1/media/links/"+tok+"/claim", "", `{"consent":true}`); st != 404 {
			t.Fatalf("second claim: %d", st)
		}
		if st, _ := get(t, e, "/api/v1/media/links/"+tok); st != 404 {
			t.Fatalf("spent link status %d", st)
		}
		var n int
		_ = d.QueryRow(ctx, "SELECT COUNT(*) FROM media_links WHERE token_hash = $1", tok).Scan(&n)
		if n != 0 {
			t.Fatal("token stored in clear")
		}

		page, err := rtcclient.Dial(ctx, e.wsURL("t1", "media_session="+claim.MediaSession), rtcclient.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer page.Close()
		if page.Hello.Role != "caller" || page.Hello.Kind != "video" || page.Video == nil || len(page.Hello.Receive[0].Kinds) != 0 {
			t.Fatalf("link hello %+v", page.Hello)
		}
		if err := page.WaitConnected(ctx); err != nil {
			t.Fatal(err)
		}
		page.SendSynthetic(ctx, 300, 15, time.Second)
		dispGot := newTrackLog()
		e.dial(ctx, "t1", "d1", rtcclient.Options{OnTrack: dispGot.onTrack})
		select {
		case <-dispGot.firstKF:
		case <-ctx.Done():
			t.Fatal("no video from the link page at the dispatcher")
		}
		if _, err := rtcclient.Dial(ctx, e.wsURL("t2", "media_session="+claim.MediaSession), rtcclient.Options{}); err == nil {
			t.Fatal("media session worked for another alarm")
		}
		sends, _ := e.audit.List(ctx, audit.Filter{Action: "media.link.*"})
		if len(sends) != 2 {
			t.Fatalf("link audit entries: %d", len(sends))
		}
	})
}

func get(t *testing.T, e *env, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(e.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func linkFromOutbox(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var last sms.Message
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		_ = json.Unmarshal(sc.Bytes(), &last)
	}
	i := strings.Index(last.Text, "/v/")
	if i < 0 {
		t.Fatalf("no link in %q", last.Text)
	}
	tok := last.Text[i+3:]
	if j := strings.IndexAny(tok, " （"); j >= 0 {
		tok = tok[:j]
	}
	return tok
}

func TestICEServersNeedSignIn(t *testing.T) {
	d := dbtest.Open(t, db.SQLite, audit.Migrations(), media.Migrations())
	e := newEnv(t, d, media.Config{TURNAddr: "127.0.0.1:0", TURNSecret: "s3cret"})
	if st, _ := get(t, e, "/api/v1/media/ice-servers"); st != 401 {
		t.Fatalf("signed out: %d", st)
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/media/ice-servers", nil)
	req.Header.Set("Authorization", "Bearer c1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		ICEServers []media.ICEServer `json:"ice_servers"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if len(out.ICEServers) != 2 || out.ICEServers[1].Username == "" || !strings.HasPrefix(out.ICEServers[1].URLs[0], "turn:127.0.0.1:") {
		t.Fatalf("ice servers %+v", out)
	}
	exp, who, _ := strings.Cut(out.ICEServers[1].Username, ":")
	if who != "citizen:c1" || exp < fmt.Sprint(time.Now().Unix()) {
		t.Fatalf("turn username %q", out.ICEServers[1].Username)
	}
}
