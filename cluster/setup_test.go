package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"testing"
	"time"

	"open110/app"
	"open110/platform/db"
	"open110/platform/db/dbtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	RemoveBinary()
	os.Exit(code)
}

// Shijiazhuang's centre and a point in it (the demo's home ground), and a
// point in another city's area for "centre Y".
var (
	pointX = map[string]float64{"lat": 38.0428, "lng": 114.5149, "accuracy_m": 10}
	pointY = map[string]float64{"lat": 39.6305, "lng": 118.1802, "accuracy_m": 10} // Tangshan
)

// shared starts a cluster of n nodes on a fresh database of the machine's
// PostgreSQL (OPEN110_TEST_POSTGRES; skipped without it), a private NATS
// server and an in-test S3 store.
func shared(t *testing.T, n int) *Cluster {
	t.Helper()
	url := dbtest.URL(t, db.Postgres)
	nats := StartNATS(t)
	s3 := StartS3(t)
	c := NewCluster(t, Backends{DB: url, NATS: nats.URL(), Blob: s3.URL("evidence")}, n)
	c.Start()
	dumpOnFailure(t, c)
	return c
}

// private starts a cluster on backends the test owns and may restart: a
// private PostgreSQL cluster, NATS server and S3 store.
func private(t *testing.T, n int) (*Cluster, *Postgres, *NATS) {
	t.Helper()
	pg := StartPostgres(t)
	nats := StartNATS(t)
	s3 := StartS3(t)
	c := NewCluster(t, Backends{DB: pg.CreateDB("open110"), NATS: nats.URL(), Blob: s3.URL("evidence")}, n)
	c.Start()
	dumpOnFailure(t, c)
	return c, pg, nats
}

func dumpOnFailure(t *testing.T, c *Cluster) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for _, n := range c.Nodes {
			t.Logf("--- %s log tail:\n%s", n.Name, tail(n.Logs(), 4000))
		}
	})
}

// closeNode closes an in-process node, failing (instead of hanging the
// whole run) if a feature's shutdown does not finish in time.
func closeNode(t *testing.T, a *app.App) {
	done := make(chan error, 1)
	go func() { done <- a.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Logf("close: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("the node did not shut down within 30 s (a feature's runner or closer is stuck)")
	}
}

// centerOf asks a node which centre covers a point.
func centerOf(t *testing.T, u *User, base string, p map[string]float64) string {
	t.Helper()
	r, err := u.Do(context.Background(), base, "GET", fmt.Sprintf("/api/v1/route?lat=%v&lng=%v", p["lat"], p["lng"]), nil, nil)
	if err != nil || r.Status != 200 {
		t.Fatalf("route: %v %v", r, err)
	}
	var out struct {
		Center struct {
			Code string `json:"code"`
		} `json:"center"`
	}
	if err := r.JSON(&out); err != nil || out.Center.Code == "" {
		t.Fatalf("route: %s", r)
	}
	return out.Center.Code
}

func phone(i int) string { return fmt.Sprintf("+86138%08d", i) }

func mustJSON(t testing.TB, r Response, v any) {
	t.Helper()
	if err := r.JSON(v); err != nil {
		t.Fatalf("decode %s: %v", r, err)
	}
}

type durations []time.Duration

func (d durations) pct(p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append(durations(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(p * float64(len(s)-1))
	return s[i]
}

// writeResult stores a JSON summary under $OPEN110_CLUSTER_RESULTS (if set)
// for bench/RESULTS.md.
func writeResult(t *testing.T, name string, v any) {
	dir := os.Getenv("OPEN110_CLUSTER_RESULTS")
	b, _ := json.MarshalIndent(v, "", "  ")
	t.Logf("%s: %s", name, b)
	if dir == "" {
		return
	}
	if err := os.WriteFile(dir+"/"+name+".json", append(b, '\n'), 0o644); err != nil {
		t.Logf("write result: %v", err)
	}
}
