package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"open110/app"
	"open110/cluster"
)

// TestTwoNodeVideoWebRTC: media pinning with real browsers. Two nodes share
// a private PostgreSQL, NATS server and S3 store. The citizen's app is
// served by node A and the dispatcher's console by node B (as a load
// balancer might split them). The caller's page reaches A first, so A
// holds the alarm's room; B forwards the console's signalling socket to A.
// Both pages must decode each other's video, and the recording plays back
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

	br := NewBrowser(t)
	caller := br.NewTab("caller-on-A")
	caller.Phone()
	caller.SetGeolocation(mediaLat, mediaLng, 10)
	caller.OpenCitizen(a, "13800138011")
	desk := br.NewTab("dispatcher-on-B")
	desk.Desktop()
	desk.OpenConsole(b, "d130102")
	c := &mediaCall{t: t, s: a, b: br, caller: caller, desk: desk, phone: "13800138011"}

	c.raise("video", "")
	waitMedia(caller, "[data-testid=media-call]", "caller")
	c.s = b // from here on the console's node
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

	c.closeInConsole()
	c.playInConsole()
	c.probeRecording("vp8", "opus")
	caller.NoConsoleErrors(mediaConsoleIgnore...)
	desk.NoConsoleErrors(mediaConsoleIgnore...)
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
