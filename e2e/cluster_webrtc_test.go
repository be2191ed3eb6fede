package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync/atomic"
	"testing"

	"open110/app"
	"open110/cluster"
)

// TestTwoNodeVideoWebRTC: media pinning with real browsers. Two nodes share
// a private PostgreSQL, NATS server and S3 store. Each page goes through a
// small load balancer of its own: the citizen's to node A, the console's
// to node B. The caller's page reaches A first, so A holds the alarm's
// room; B forwards the console's signalling socket to A. Both pages must
// decode each other's video. Then A shuts down and its balancer fails over
// to B (as a health check would): both pages are told the room moved,
// reconnect through B, which takes the room over, and the video comes
// back both ways. The recording — segments from both rooms — plays back
// through B from the shared store.
func TestTwoNodeVideoWebRTC(t *testing.T) {
	RequireWebRTC(t)
	pg := cluster.StartPostgres(t)
	nats := cluster.StartNATS(t)
	s3 := cluster.StartS3(t)
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	dbURL := pg.CreateDB("open110")
	shared := func(c *app.Config) {
		c.DB, c.NATS, c.Blob, c.Secret = dbURL, nats.URL(), s3.URL("evidence"), hex.EncodeToString(secret)
	}
	a := StartServer(t, shared)
	// Nodes sharing a database seal tipster identities with the same keys.
	keys, err := os.ReadFile(filepath.Join(a.Data, "identity.keys"))
	if err != nil {
		t.Fatal(err)
	}
	b := StartServer(t, shared, func(c *app.Config) {
		if err := os.WriteFile(filepath.Join(c.Data, "identity.keys"), keys, 0o600); err != nil {
			t.Fatal(err)
		}
	})

	// The pages see only their balancers (one origin each); the tests'
	// helpers read SMS codes from the node's outbox behind it.
	lbA, lbB := newBalancer(t, a.URL), newBalancer(t, b.URL)
	viaA, viaB := *a, *b
	viaA.URL, viaB.URL = lbA.srv.URL, lbB.srv.URL

	br := NewBrowser(t)
	caller := br.NewTab("caller-on-A")
	caller.Phone()
	caller.SetGeolocation(mediaLat, mediaLng, 10)
	caller.OpenCitizen(&viaA, "13800138011")
	desk := br.NewTab("dispatcher-on-B")
	desk.Desktop()
	desk.OpenConsole(&viaB, "d130102")
	c := &mediaCall{t: t, s: &viaA, b: br, caller: caller, desk: desk, phone: "13800138011"}

	c.raise("video", "")
	waitMedia(caller, "[data-testid=media-call]", "caller")
	c.s = &viaB // from here on the console's side
	c.answer()
	waitMedia(desk, "[data-testid=media-status]", "dispatcher")
	requireFrames(t, "dispatcher on B sees the caller on A", videoFrames(desk, deskRemote))
	requireFrames(t, "caller on A sees the dispatcher on B", videoFrames(caller, "[data-testid=media-call] [data-testid=media-remote]"))

	// One room, on A; B forwarded the console's socket to it.
	if rooms := metric(t, a, "open110_media_rooms"); rooms != 1 {
		t.Errorf("node A holds %v rooms, want 1", rooms)
	}
	if rooms := metric(t, b, "open110_media_rooms"); rooms != 0 {
		t.Errorf("node B holds %v rooms, want 0 (it forwards)", rooms)
	}
	if fwd := metric(t, b, "open110_media_forwarded_total"); fwd < 1 {
		t.Errorf("node B forwarded %v sockets, want ≥ 1", fwd)
	}
	desk.Screenshot("two-node-video")

	// Node A stops; its balancer's health check sends its traffic to B.
	hellos := func(tab *Tab, role string) int {
		return Eval[int](tab, `open110Media.current('`+role+`').log.filter((e) => e.ev === 'hello').length`)
	}
	if err := a.App.Close(); err != nil {
		t.Logf("closing node A: %v", err)
	}
	lbA.set(b.URL)
	for _, p := range []struct {
		tab  *Tab
		role string
	}{{caller, "caller"}, {desk, "dispatcher"}} {
		p.tab.WaitFunc(p.role+"'s media back through B", func() (string, bool) {
			s, _ := p.tab.tryEval(`(() => { const m = open110Media.current('` + p.role + `');
				return m ? m.state + '/' + m.log.filter((e) => e.ev === 'hello').length : 'none'; })()`)
			return s, s == "connected/2"
		})
	}
	requireFrames(t, "dispatcher sees the caller after the move", framesResume(desk, deskRemote))
	requireFrames(t, "caller sees the dispatcher after the move", framesResume(caller, "[data-testid=media-call] [data-testid=media-remote]"))
	if rooms := metric(t, b, "open110_media_rooms"); rooms != 1 {
		t.Errorf("node B holds %v rooms after the move, want 1", rooms)
	}
	if n := hellos(caller, "caller"); n != 2 {
		t.Errorf("caller's session saw %d hellos, want 2 (the same call, set up again)", n)
	}
	caller.Screenshot("two-node-after-move")

	c.closeInConsole()
	c.playInConsole()
	c.probeRecording("vp8", "opus")
	caller.NoConsoleErrors(mediaConsoleIgnore...)
	desk.NoConsoleErrors(mediaConsoleIgnore...)
}

// balancer is a stand-in for a load balancer in front of the nodes: it
// passes every request, WebSockets included, to one node, which the test
// switches as a health check would.
type balancer struct {
	srv *httptest.Server
	to  atomic.Pointer[url.URL]
}

func newBalancer(t *testing.T, to string) *balancer {
	b := &balancer{}
	b.set(to)
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(b.to.Load())
			pr.Out.Host = pr.In.Host // the node checks a WebSocket's Origin against it
		},
		ErrorLog: log.New(io.Discard, "", 0),
	}
	b.srv = httptest.NewServer(rp)
	t.Cleanup(b.srv.Close)
	return b
}

func (b *balancer) set(to string) {
	u, err := url.Parse(to)
	if err != nil {
		panic(err)
	}
	b.to.Store(u)
}

// metric reads one unlabelled sample from a node's /metrics.
func metric(t *testing.T, s *Server, name string) float64 {
	t.Helper()
	res, err := http.Get(s.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("%s not in %s/metrics", name, s.URL)
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}
